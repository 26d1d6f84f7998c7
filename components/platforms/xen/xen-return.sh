#!/usr/bin/env bash
# The way back from Xen, run last on destroy (after the guests, the boot entry
# and the packages are gone): reboots a server still running Xen dom0 into its
# plain kernel, then fails, so the step is tried again until the server is
# back (deleteRetryForSeconds: rebootTimeoutMinutes). Leaves a server that ran Xen before the stack came
# as it was. Env: CREATE_STDOUT (what create printed: "before: plain|xen").
set -euo pipefail
in_dom0() { [ "$(cat /sys/hypervisor/type 2>/dev/null)" = xen ] && [ "$(cat /sys/hypervisor/guest_type 2>/dev/null)" != HVM ]; }
before="$(printf '%s\n' "${CREATE_STDOUT:-}" | sed -n 's/^before: *//p' | tail -n1)"
if [ "$before" = xen ]; then
  echo "kept: Xen (the server ran it before this stack)"
  exit 0
fi
if ! in_dom0; then
  echo "plain kernel: $(uname -r)"
  exit 0
fi
# Xen still installed: packages-remove.sh kept them for another owner (a
# stack that still runs Xen here), and the server would boot into it again.
if compgen -G '/boot/xen*.gz' >/dev/null; then
  echo "kept: Xen running ($(compgen -G '/boot/xen*.gz' | paste -sd' ') still installed for another owner)"
  exit 0
fi
update-grub >&2
echo "rebooting out of Xen into $(ls /boot/vmlinuz-* | sort -V | tail -n1)" >&2
nohup sh -c 'sleep 3; reboot' >/dev/null 2>&1 &
exit 75
