#!/usr/bin/env bash
# Makes sure libvirtd answers on qemu:///system, starting it (and virtlogd) if
# needed, and records this owner as one of its users (host-state.sh,
# prepended): libvirtd-stop.sh stops what a step of ours started once its last
# user is gone, nothing else.
set -euo pipefail
vtb_host_lock "${VTB_PACKAGE_LOCK_TIMEOUT:-600}"
holds="$(vtb_holds libvirtd)"
started="$(vtb_libvirtd_up)"
# Whoever started a daemon, it stays up while any owner uses it.
[ -z "$started" ] || echo "${started# }" >>"$holds/.started"
touch "$holds/$VTB_OWNER"
echo "libvirt: $(virsh -c qemu:///system version --daemon | sed -n 's/^Running against daemon: *//p')"
echo "qemu: $(virsh -c qemu:///system version | sed -n 's/^Running hypervisor: *//p')"
echo "started: ${started# }"
