#!/usr/bin/env bash
# Creates and starts one Xen guest with xl: a copy-on-write disk over the
# image (or a whole partition), direct kernel boot (PV, or HVM with the given
# NIC model), on the bridge vtbxen0 (10.198.0.1/24, no uplink) with a static
# address, so the server reaches it and nothing else does.
# Env: NAME MODE VCPUS MEM_MIB DISK_BACKING PARTITION SIZE_GIB DISK_BUS BASE KERNEL INITRD
#      NIC_MODEL MAC GUEST_IP SSH_KEY_B64 VTB_OWNER VTB_PACKAGE_LOCK_TIMEOUT (after host-state.sh)
set -euo pipefail
dir=/var/lib/virt-testbed/xen
# The server's guests are made at once: one at a time here, or two would both
# find no bridge and both make it.
vtb_host_lock "${VTB_PACKAGE_LOCK_TIMEOUT:-600}"
mkdir -p "$dir"
# Ours from an interrupted run goes first; another's is refused (vtb_claim).
vtb_claim xen "$NAME" "$( { xl domid "$NAME" >/dev/null 2>&1 || [ -e "$dir/$NAME.cfg" ]; } && echo exists)"
xl destroy "$NAME" >/dev/null 2>&1 || true
# A create that fails leaves no guest, disk or config: a config left over
# would keep the bridge from ever being taken (xen-destroy.sh).
trap '[ $? -eq 0 ] || { xl destroy "$NAME" >/dev/null 2>&1; rm -f "$dir/$NAME.cfg" "$dir/$NAME.qcow2"; }' EXIT
created=""
if ! ip link show vtbxen0 >/dev/null 2>&1; then
  # The project's, marked first: the last guest removed takes it (xen-destroy.sh), whichever made it.
  : >"$dir/bridge.ours"
  ip link add vtbxen0 type bridge
  ip addr add 10.198.0.1/24 dev vtbxen0
  ip link set vtbxen0 up
  created="bridge:vtbxen0"
fi
if [ "$DISK_BACKING" = partition ]; then
  target="$PARTITION"; fmt=raw
else
  target="$dir/$NAME.qcow2"; fmt=qcow2
  qemu-img create -q -f qcow2 -F qcow2 -b "$BASE" "$target" "${SIZE_GIB}G"
fi
vdev=xvda; [ "$MODE" = hvm ] && [ "$DISK_BUS" = ide ] && vdev=hda
root="LABEL=vtbroot"
console=hvc0; [ "$MODE" = hvm ] && console=ttyS0
nic="bridge=vtbxen0,mac=$MAC"; [ "$MODE" = hvm ] && [ "$NIC_MODEL" != netfront ] && nic="$nic,model=$NIC_MODEL"
cat >"$dir/$NAME.cfg" <<CFG
# Written by virt-testbed; removed on pulumi destroy.
name = "$NAME"
type = "$MODE"
vcpus = $VCPUS
memory = $MEM_MIB
kernel = "$KERNEL"
ramdisk = "$INITRD"
cmdline = "root=$root console=$console vtb.ssh_key=$SSH_KEY_B64 vtb.ip=$GUEST_IP/24 vtb.gw=10.198.0.1"
disk = [ "format=$fmt,vdev=$vdev,access=rw,target=$target" ]
vif = [ "$nic" ]
on_crash = "destroy"
CFG
# An HVM guest's device model serves its screen over VNC unless told not to:
# no console for anyone else on the server, the guest is reached over SSH; its
# serial console is a pty for root (`xl console`), where its boot can be read.
[ "$MODE" = hvm ] && printf '%s\n' 'vnc = 0' 'serial = "pty"' >>"$dir/$NAME.cfg"
# xl leaves a process watching the domain: it must not inherit the host lock.
xl create "$dir/$NAME.cfg" >&2 8>&-
echo "domain: $NAME"
echo "address: $GUEST_IP"
echo "xen: $(xl info | sed -n 's/^xen_version *: *//p')"
echo "created: $created"
