#!/usr/bin/env bash
# Makes sure libvirtd answers on qemu:///system, starting it (and virtlogd) if
# needed, and records this owner as one of its users (host-state.sh,
# prepended): libvirtd-stop.sh stops what a step of ours started once its last
# user is gone, nothing else.
set -euo pipefail
vtb_host_lock "${VTB_PACKAGE_LOCK_TIMEOUT:-600}"
holds="$(vtb_holds libvirtd)"
started=""
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
  systemctl is-active -q libvirtd || { systemctl start libvirtd >&2; started="systemd:libvirtd"; }
else
  # Not with the host lock's descriptor (8): a daemon would hold the lock for life.
  pidof virtlogd >/dev/null || { virtlogd -d </dev/null >/dev/null 2>&1 8>&-; started="$started virtlogd"; }
  pidof libvirtd >/dev/null || { libvirtd -d </dev/null >/dev/null 2>&1 8>&-; started="$started libvirtd"; }
fi
for _ in $(seq 1 60); do
  virsh -c qemu:///system version >/dev/null 2>&1 && break
  sleep 0.5
done
virsh -c qemu:///system version >/dev/null || vtb_die "libvirtd does not answer on qemu:///system"
# Whoever started a daemon, it stays up while any owner uses it.
[ -z "$started" ] || echo "${started# }" >>"$holds/.started"
touch "$holds/$VTB_OWNER"
echo "libvirt: $(virsh -c qemu:///system version --daemon | sed -n 's/^Running against daemon: *//p')"
echo "qemu: $(virsh -c qemu:///system version | sed -n 's/^Running hypervisor: *//p')"
echo "started: ${started# }"
