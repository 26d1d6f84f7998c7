#!/usr/bin/env bash
# Makes Xen the default boot entry with a fixed dom0 memory, then reboots if
# the server is not running Xen yet. Prints what it created for xen-unboot.sh.
set -euo pipefail
cfg=/etc/default/grub.d/virt-testbed-xen.cfg
mkdir -p /etc/default/grub.d
cat >"$cfg" <<CFG
# Written by virt-testbed; removed on pulumi destroy.
XEN_OVERRIDE_GRUB_DEFAULT=1
GRUB_CMDLINE_XEN_DEFAULT="dom0_mem=${DOM0_MEM_MIB}M,max:${DOM0_MEM_MIB}M"
CFG
update-grub >&2
echo "created: $cfg"
if ! xl info >/dev/null 2>&1; then
  echo "rebooting into Xen"
  # Detached, so this step returns before the connection drops.
  nohup sh -c 'sleep 3; reboot' >/dev/null 2>&1 &
fi
