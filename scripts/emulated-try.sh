#!/usr/bin/env bash
# bash scripts/emulated-try.sh [--keep]
#
# The emulated server, tried by hand before any Pulumi code depends on it:
# builds the server disk (components/server/emulated/disk-build.sh), boots it
# under QEMU TCG with SSH on a loopback port only, then takes the xen
# platform's real flow through it with the project's own scripts: packages,
# boot entry (xen-boot.sh), reboot, dom0 and `xl info`, then the way back
# (xen-unboot.sh, purge, reboot to the plain kernel). Prints and writes the
# time of each phase (results/emulated-try/<timestamp>/). Takes 20-40 min
# here; measure nothing else on the machine meanwhile. Root only.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
keep=false
[ "${1:-}" = --keep ] && keep=true
[ "$(id -u)" = 0 ] || { echo "emulated-try: run as root" >&2; exit 2; }
source "$here/components/server/host-state.sh"

out="$here/results/emulated-try/$(date -u +%Y-%m-%dT%H-%M-%SZ)"
mkdir -p "$out"
say() { echo "emulated-try: $*" | tee -a "$out/log" >&2; }
t0=$(date +%s)
phase_start=$t0
phase() {
  local now
  now=$(date +%s)
  printf '%-40s %5ss\n' "$1" "$((now - phase_start))" | tee -a "$out/timings.txt" >&2
  phase_start=$now
}

# The disk, once per content of the build script.
key="$(cat "$here/components/server/emulated/disk-build.sh" | sha256sum | cut -c1-16)"
(DISK_DIR="/var/cache/virt-testbed/servers/bookworm-$key" SUITE=bookworm SIZE_GIB=12 \
  source "$here/components/server/emulated/disk-build.sh") | tee -a "$out/log" >&2
base="/var/cache/virt-testbed/servers/bookworm-$key/disk.qcow2"
phase "server disk (built or cached)"

vtb_base_dir
vtb_owned_dir /var/lib/virt-testbed/emulated 0700
work="$(mktemp -d /var/lib/virt-testbed/emulated/try.XXXXXXXX)"
pid=""
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid"; fi
  if $keep; then say "kept $work"; else rm -rf "$work" && rmdir /var/lib/virt-testbed/emulated 2>/dev/null; fi
}
trap cleanup EXIT

# Keys of this server alone: root's client key and the server's host key.
ssh-keygen -q -t ed25519 -N '' -C vtb-emulated-try -f "$work/id_ed25519"
mkdir "$work/seed"
ssh-keygen -q -t ed25519 -N '' -C vtb-emulated-try -f "$work/seed/ssh_host_ed25519_key"
cp "$work/id_ed25519.pub" "$work/seed/authorized_keys"
genisoimage -quiet -V VTBSEED -r -o "$work/seed.iso" "$work/seed"
qemu-img create -q -f qcow2 -F qcow2 -b "$base" "$work/disk.qcow2"

port=""
for p in $(shuf -i 21000-21999 -n 50); do
  if ! ss -Hltn "sport = :$p" | grep -q .; then port=$p; break; fi
done
[ -n "$port" ] || { say "no free loopback port in 21000-21999"; exit 1; }
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$work/seed/ssh_host_ed25519_key.pub")" >"$work/known_hosts"
ssh_opts=(-i "$work/id_ed25519" -o UserKnownHostsFile="$work/known_hosts" -o StrictHostKeyChecking=yes
  -o ConnectTimeout=10 -o BatchMode=yes -o ServerAliveInterval=15 -o ServerAliveCountMax=4 -p "$port")
on() { ssh "${ssh_opts[@]}" root@127.0.0.1 "$@"; }
wait_for() { # $1: what, $2: seconds, rest: a remote command that must succeed
  local what="$1" limit="$2" start
  shift 2
  start=$(date +%s)
  until on "$@" >/dev/null 2>&1; do
    if (($(date +%s) - start > limit)); then
      say "$what: not after ${limit}s; the console's last lines:"
      tail -n 40 "$work/console.log" >&2
      exit 1
    fi
    sleep 5
  done
}

# The machine ENVIRONMENT.md found stable for Xen under TCG (not -cpu max).
qemu-system-x86_64 -name vtb-emulated-try -machine pc,accel=tcg -cpu qemu64,+svm,+npt \
  -smp 2,sockets=2,cores=1,threads=1 -m 4096 \
  -drive "file=$work/disk.qcow2,if=virtio,format=qcow2" \
  -drive "file=$work/seed.iso,if=virtio,format=raw,readonly=on" \
  -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:22" -device virtio-net-pci,netdev=n0 \
  -serial "file:$work/console.log" -display none -monitor none \
  -daemonize -pidfile "$work/qemu.pid"
pid="$(cat "$work/qemu.pid")"
say "QEMU $pid, SSH on 127.0.0.1:$port"
wait_for "first boot to SSH" 900 true
phase "first boot (GRUB, plain kernel) to SSH"
on 'uname -r; cat /proc/cmdline' | tee -a "$out/log" >&2

on 'DEBIAN_FRONTEND=noninteractive apt-get -qq update && DEBIAN_FRONTEND=noninteractive apt-get -y -qq install --no-install-recommends xen-system-amd64 qemu-system-xen qemu-utils >/dev/null' \
  2>&1 | tee -a "$out/log" >&2
phase "xen packages (apt, inside TCG)"

boot_out="$(on "DOM0_MEM_MIB=1024 bash -s" <"$here/components/platforms/xen/xen-boot.sh" 2>>"$out/log")"
echo "$boot_out" | tee -a "$out/log" >&2
phase "boot entry (xen-boot.sh)"
sleep 10
wait_for "reboot into Xen, dom0 xl info" 1200 'xl info'
phase "reboot into Xen to dom0 xl info"
on 'xl info; cat /proc/cmdline' | tee "$out/xl-info.txt" >&2
on 'xl dmesg | grep -i -E "xen version|command line|hvm|svm|hap"' | tee -a "$out/log" >&2

# One para guest, as XenGuest makes it: the host's own guest image (the
# project builds it for LXC and kvm), copied in, then xen-create.sh.
img=""
for d in /var/cache/virt-testbed/images/*/; do
  if [ -f "$d/complete" ]; then img="$d" && break; fi
done
if [ -z "$img" ]; then
  say "no guest image in /var/cache/virt-testbed/images (run npm run testbed once): the para guest is skipped"
else
  on 'mkdir -p /var/lib/virt-testbed/images/try'
  scp -q -i "$work/id_ed25519" -o UserKnownHostsFile="$work/known_hosts" -o BatchMode=yes -P "$port" \
    "$img/disk.qcow2" "$img/vmlinuz" "$img/initrd.img" root@127.0.0.1:/var/lib/virt-testbed/images/try/
  phase "guest image copied in ($(du -sh "$img/disk.qcow2" | cut -f1))"
  guest_env=(NAME=vtb-try-para MODE=pv VCPUS=1 MEM_MIB=512 DISK_BACKING=image PARTITION= SIZE_GIB=4
    DISK_BUS=xen BASE=/var/lib/virt-testbed/images/try/disk.qcow2
    KERNEL=/var/lib/virt-testbed/images/try/vmlinuz INITRD=/var/lib/virt-testbed/images/try/initrd.img
    NIC_MODEL=netfront MAC=00:16:3e:00:00:01 GUEST_IP=10.198.0.2
    "SSH_KEY_B64=$(base64 -w0 "$work/id_ed25519.pub")" "VTB_OWNER=$(echo emulated-try | sha256sum | cut -c1-32)")
  create_out="$(cat "$here/components/server/host-state.sh" "$here/components/platforms/xen/xen-create.sh" |
    on "env ${guest_env[*]@Q} bash -s" 2>>"$out/log")"
  echo "$create_out" | tee -a "$out/log" >&2
  phase "para guest created (xen-create.sh)"
  # The guest's address exists only inside the emulated server: reached through it.
  guest() {
    ssh -i "$work/id_ed25519" -o BatchMode=yes -o ConnectTimeout=10 -o StrictHostKeyChecking=no \
      -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
      -o ProxyCommand="ssh ${ssh_opts[*]@Q} -W %h:%p root@127.0.0.1" root@10.198.0.2 "$@"
  }
  gstart=$(date +%s)
  until guest true 2>/dev/null; do
    if (($(date +%s) - gstart > 900)); then
      say "para guest: no SSH after 900s; its console:"
      on 'xl list; tail -n 30 /var/log/xen/*.log' >&2 || true
      break
    fi
    sleep 5
  done
  guest 'uname -r; nproc; free -m | head -2; cat /sys/hypervisor/type 2>/dev/null' | tee -a "$out/log" >&2 || true
  phase "para guest to SSH"
  on 'xl list' | tee -a "$out/log" >&2
  cat "$here/components/server/host-state.sh" "$here/components/platforms/xen/xen-destroy.sh" |
    on "env ${guest_env[*]@Q} CREATE_STDOUT=${create_out@Q} bash -s" 2>>"$out/log" | tee -a "$out/log" >&2
  on 'rm -rf /var/lib/virt-testbed/images/try; xl list' | tee -a "$out/log" >&2
  phase "para guest destroyed (xen-destroy.sh)"
fi

unboot_out="$(on "CREATE_STDOUT=$(printf %q "$boot_out") bash -s" <"$here/components/platforms/xen/xen-unboot.sh" 2>>"$out/log")"
echo "$unboot_out" | tee -a "$out/log" >&2
phase "boot entry removed (xen-unboot.sh)"
sleep 10
wait_for "reboot after xen-unboot.sh" 1200 true
if on 'xl info' >/dev/null 2>&1; then
  say "after xen-unboot.sh the server booted back into Xen (Debian's grub.d/xen.cfg keeps it the default while installed)"
  echo "after-unboot: xen" >>"$out/timings.txt"
else
  say "after xen-unboot.sh the server runs the plain kernel"
  echo "after-unboot: plain" >>"$out/timings.txt"
fi
phase "reboot after unboot"

on 'DEBIAN_FRONTEND=noninteractive apt-get -y -qq purge xen-system-amd64 "xen-hypervisor-*" "xen-utils-*" xen-hypervisor-common qemu-system-xen >/dev/null && apt-get -y -qq autoremove --purge >/dev/null && update-grub 2>&1 | tail -n 3 && (nohup sh -c "sleep 3; reboot" >/dev/null 2>&1 &)' \
  2>&1 | tee -a "$out/log" >&2
phase "xen packages purged"
sleep 10
wait_for "reboot to the plain kernel" 900 '! xl info && test ! -e /proc/xen/capabilities'
on 'uname -r; cat /proc/cmdline; ls /boot' | tee -a "$out/log" >&2
phase "reboot to the plain kernel"
on 'systemctl poweroff' || true
for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 2; done
phase "poweroff"
cp "$work/console.log" "$out/console.log"
echo "total $(($(date +%s) - t0))s" | tee -a "$out/timings.txt" >&2
say "written to $out"
