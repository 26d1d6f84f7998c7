#!/usr/bin/env bash
# Builds, once per content key, a Debian root filesystem with the benchmark
# tools (for containers) and from it an ext4 disk image, kernel and initrd
# (for VMs). A second run with the same key reuses the cache.
# Env: IMAGE_DIR (the cache entry), SUITE, PACKAGES, MIRROR (optional).
set -euo pipefail
dir="$IMAGE_DIR"
report() {
  echo "image: $dir"
  echo "rootfs: $dir/rootfs"
  echo "disk: $dir/disk.qcow2"
  echo "kernel: $dir/vmlinuz"
  echo "initrd: $dir/initrd.img"
  echo "built: $(cat "$dir/complete")"
}
if vtb_cache_entry "$dir"; then report; exit 0; fi
for t in mmdebstrap mkfs.ext4 qemu-img; do
  command -v "$t" >/dev/null || { echo "$t not found: install mmdebstrap, e2fsprogs and qemu-utils" >&2; exit 1; }
done
tmp="$VTB_BUILD"
start=$(date +%s)
# Guests get root's SSH key from the kernel command line (vtb.ssh_key=<base64>),
# so one image serves every stack and no key is baked into it.
mmdebstrap --mode=root --variant=minbase --format=directory \
  --include="$(echo "$PACKAGES" | tr ' ' ',')" \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --essential-hook='mkdir -p "$1/etc/initramfs-tools"; printf "virtio_pci\nvirtio_blk\nvirtio_net\next4\nata_piix\nsd_mod\ne1000\n" >>"$1/etc/initramfs-tools/modules"' \
  "$SUITE" "$tmp/rootfs" ${MIRROR:+"$MIRROR"} >&2
r="$tmp/rootfs"
echo "LABEL=vtbroot / ext4 defaults,errors=remount-ro 0 1" >"$r/etc/fstab"
echo vtb-guest >"$r/etc/hostname"
: >"$r/etc/resolv.conf"
mkdir -p "$r/etc/systemd/network"
cat >"$r/etc/systemd/network/10-dhcp.network" <<'NET'
[Match]
Name=en* eth*

[Network]
DHCP=yes
NET
cat >"$r/usr/local/sbin/vtb-ssh-key" <<'KEY'
#!/bin/sh
# From the kernel command line: root's authorized key (vtb.ssh_key=<base64>)
# and, for guests on a bridge without DHCP, a static address
# (vtb.ip=<addr/prefix> vtb.gw=<gateway>).
ip=""; gw=""
for w in $(cat /proc/cmdline); do
  case "$w" in
    vtb.ssh_key=*)
      mkdir -p -m 700 /root/.ssh
      echo "${w#vtb.ssh_key=}" | base64 -d >/root/.ssh/authorized_keys
      chmod 600 /root/.ssh/authorized_keys ;;
    vtb.ip=*) ip="${w#vtb.ip=}" ;;
    vtb.gw=*) gw="${w#vtb.gw=}" ;;
  esac
done
if [ -n "$ip" ]; then
  mkdir -p /run/systemd/network
  printf '[Match]\nName=en* eth*\n\n[Network]\nAddress=%s\n%s\n' "$ip" "${gw:+Gateway=$gw}" \
    >/run/systemd/network/05-vtb-static.network
fi
KEY
chmod 755 "$r/usr/local/sbin/vtb-ssh-key"
cat >"$r/etc/systemd/system/vtb-ssh-key.service" <<'UNIT'
[Unit]
Description=root SSH key and static address from the kernel command line
Before=ssh.service systemd-networkd.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/vtb-ssh-key

[Install]
WantedBy=multi-user.target
UNIT
chroot "$r" systemctl enable systemd-networkd.service vtb-ssh-key.service >/dev/null 2>&1
kver="$(ls "$r/lib/modules" | sort -V | tail -n1)"
cp "$tmp/rootfs/boot/vmlinuz-$kver" "$tmp/vmlinuz"
cp "$tmp/rootfs/boot/initrd.img-$kver" "$tmp/initrd.img"
truncate -s 4G "$tmp/disk.raw"
mkfs.ext4 -q -F -L vtbroot -E root_owner=0:0 -d "$tmp/rootfs" "$tmp/disk.raw"
qemu-img convert -f raw -O qcow2 "$tmp/disk.raw" "$tmp/disk.qcow2"
rm -f "$tmp/disk.raw"
echo "$(date -u +%FT%TZ) in $(($(date +%s) - start))s, kernel $kver" >"$tmp/complete"
vtb_cache_done "$dir"
report
