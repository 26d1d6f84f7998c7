#!/usr/bin/env bash
# Removes the boot entry xen-boot.sh created and reboots into the plain kernel.
set -euo pipefail
cfg="$(printf '%s\n' "${CREATE_STDOUT:-}" | sed -n 's/^created: *//p' | tail -n1)"
if [ -n "$cfg" ] && [ -f "$cfg" ]; then
  rm -f "$cfg"
  update-grub >&2
  echo "removed: $cfg"
fi
if xl info >/dev/null 2>&1; then
  nohup sh -c 'sleep 3; reboot' >/dev/null 2>&1 &
  echo "rebooting out of Xen"
fi
