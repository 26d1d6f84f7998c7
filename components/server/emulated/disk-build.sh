#!/usr/bin/env bash
# Builds, once per content key, the disk of an emulated physical server: a
# Debian install with the distribution's generic kernel (the cloud kernel the
# guests use has no CONFIG_XEN_DOM0), GRUB in the MBR (so a hypervisor's boot
# entry and a reboot go through the boot loader as on a real server) and SSH.
# No key is baked in: each server gets its own host and root keys from a seed
# disk at every boot (vtb-seed below). A second run with the same key reuses
# the cache. (After host-state.sh.)
# Env: DISK_DIR (the cache entry), SUITE, SIZE_GIB, MIRROR (optional).
set -euo pipefail
dir="$DISK_DIR"
report() {
  echo "disk: $dir/disk.qcow2"
  echo "built: $(cat "$dir/complete")"
}
if vtb_cache_entry "$dir"; then report; exit 0; fi
for t in mmdebstrap mkfs.ext4 qemu-img sfdisk qemu-system-x86_64; do
  command -v "$t" >/dev/null || {
    echo "$t not found: install mmdebstrap, e2fsprogs, qemu-utils, fdisk and qemu-system-x86" >&2
    exit 1
  }
done
tmp="$VTB_BUILD"
start=$(date +%s)
mmdebstrap --mode=root --variant=minbase --format=directory \
  --include=linux-image-amd64,grub-pc,initramfs-tools,systemd-sysv,udev,dbus,openssh-server,iproute2,procps,netbase,kmod,e2fsprogs,ca-certificates \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  "$SUITE" "$tmp/rootfs" ${MIRROR:+"$MIRROR"} >&2
r="$tmp/rootfs"
echo "LABEL=vtbsrv / ext4 defaults,errors=remount-ro 0 1" >"$r/etc/fstab"
echo vtb-server >"$r/etc/hostname"
# QEMU's user network: its DNS forwarder. Nothing else answers DNS in there.
echo "nameserver 10.0.2.3" >"$r/etc/resolv.conf"
mkdir -p "$r/etc/systemd/network"
printf '[Match]\nName=eth*\n\n[Network]\nDHCP=yes\n' >"$r/etc/systemd/network/10-dhcp.network"
# The image's own host keys would be shared by every server built from it.
rm -f "$r"/etc/ssh/ssh_host_*
cat >"$r/usr/local/sbin/vtb-seed" <<'SEED'
#!/bin/sh
# Every boot, before sshd and the network: this server's root key and host
# keys from the seed disk (ISO 9660 label VTBSEED) the project attaches, host
# keys of its own when there is none; and its address on a private link.
set -e
dev="$(blkid -L VTBSEED || true)"
if [ -n "$dev" ]; then
  m=/run/vtb-seed
  mkdir -p "$m"
  mount -o ro "$dev" "$m"
  if [ -f "$m/authorized_keys" ]; then
    install -d -m 700 /root/.ssh
    install -m 600 "$m/authorized_keys" /root/.ssh/authorized_keys
  fi
  for k in "$m"/ssh_host_*_key; do [ -f "$k" ] && install -m 600 "$k" /etc/ssh/; done
  for k in "$m"/ssh_host_*_key.pub; do [ -f "$k" ] && install -m 644 "$k" /etc/ssh/; done
  # Its end of a private link to another emulated server, if it has one.
  rm -f /etc/systemd/network/05-lab.network
  if [ -f "$m/lab.network" ]; then install -m 644 "$m/lab.network" /etc/systemd/network/05-lab.network; fi
  umount "$m"
fi
ssh-keygen -A
SEED
cat >"$r/etc/systemd/system/vtb-seed.service" <<'UNIT'
[Unit]
Description=root and host SSH keys, and a link's address, from the seed disk
Before=ssh.service systemd-networkd.service
After=local-fs.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/vtb-seed

[Install]
WantedBy=multi-user.target
UNIT
# Run as init by the provisioning boot below: GRUB needs the disk as a block
# device, which is only had without loop devices from inside a VM.
cat >"$r/usr/local/sbin/vtb-provision" <<'PROV'
#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc 2>/dev/null || true
mount -t sysfs sys /sys 2>/dev/null || true
mount -t devtmpfs dev /dev 2>/dev/null || true
mount -o remount,rw /
if grub-install --target=i386-pc /dev/vda && update-grub; then
  echo "vtb-provisioned"
else
  echo "vtb-provision-failed"
fi
sync
echo 1 >/proc/sys/kernel/sysrq
echo o >/proc/sysrq-trigger
sleep 60
PROV
chmod 755 "$r/usr/local/sbin/vtb-seed" "$r/usr/local/sbin/vtb-provision"
# The serial console is the build's and the project's only view of the boot;
# Xen gets com1, and its dom0 the Xen console (hvc0).
mkdir -p "$r/etc/default/grub.d"
cat >"$r/etc/default/grub.d/00-vtb-emulated.cfg" <<'GRUB'
GRUB_TIMEOUT=1
GRUB_TERMINAL=serial
GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
GRUB_CMDLINE_LINUX="console=ttyS0,115200 net.ifnames=0"
GRUB_CMDLINE_LINUX_DEFAULT=""
GRUB_DISABLE_OS_PROBER=true
GRUB_CMDLINE_XEN="console=com1 com1=115200,8n1"
GRUB_CMDLINE_LINUX_XEN_REPLACE="console=hvc0 net.ifnames=0"
GRUB
chroot "$r" systemctl enable systemd-networkd.service vtb-seed.service ssh.service >/dev/null 2>&1
kver="$(ls "$r/lib/modules" | sort -V | tail -n1)"
cp "$r/boot/vmlinuz-$kver" "$tmp/vmlinuz"
cp "$r/boot/initrd.img-$kver" "$tmp/initrd.img"
size=$((SIZE_GIB * 1024 * 1024 * 1024))
truncate -s "$size" "$tmp/disk.raw"
echo 'start=2048, type=83, bootable' | sfdisk -q "$tmp/disk.raw"
mkfs.ext4 -q -F -L vtbsrv -E offset=1048576,root_owner=0:0 -d "$r" "$tmp/disk.raw" \
  "$(((size - 1048576) / 1024))k"
rm -rf "$r"
timeout 900 qemu-system-x86_64 -machine pc,accel=tcg -cpu qemu64 -m 1024 -smp 1 \
  -nic none -no-reboot -display none -monitor none -serial "file:$tmp/provision.log" \
  -kernel "$tmp/vmlinuz" -initrd "$tmp/initrd.img" \
  -append "root=LABEL=vtbsrv rw console=ttyS0,115200 init=/usr/local/sbin/vtb-provision panic=-1" \
  -drive "file=$tmp/disk.raw,if=virtio,format=raw" >&2 || true
grep -q '^vtb-provisioned' "$tmp/provision.log" || {
  echo "the provisioning boot did not install GRUB; the last lines of its console:" >&2
  tail -n 30 "$tmp/provision.log" >&2
  exit 1
}
qemu-img convert -f raw -O qcow2 "$tmp/disk.raw" "$tmp/disk.qcow2"
rm -f "$tmp/disk.raw" "$tmp/vmlinuz" "$tmp/initrd.img"
echo "$(date -u +%FT%TZ) in $(($(date +%s) - start))s, kernel $kver" >"$tmp/complete"
vtb_cache_done "$dir"
report
