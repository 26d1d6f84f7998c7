#!/usr/bin/env bash
# Removes the boot entry xen-boot.sh created. The reboot out of Xen comes
# last, after the packages are purged (xen-return.sh): rebooting now would
# come back in Xen while it is installed (Debian's grub.d/xen.cfg).
set -euo pipefail
cfg="$(printf '%s\n' "${CREATE_STDOUT:-}" | sed -n 's/^created: *//p' | tail -n1)"
if [ -n "$cfg" ] && [ -f "$cfg" ]; then
  rm -f "$cfg"
  update-grub >&2
  echo "removed: $cfg"
fi
