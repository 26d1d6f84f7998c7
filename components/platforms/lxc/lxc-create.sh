#!/usr/bin/env bash
# Creates and starts one LXC container on an overlay of the cached image
# rootfs, with cgroup v1/v2 limits and a veth whose other end lives in a
# network namespace of its own (host side 10.199.0.1, container 10.199.0.2),
# so traffic to it never touches the host's own network.
# Env: NAME LXCPATH ROOTFS NETNS VETH_CT VETH_NS CPU_SHARES [CPUSET] [CPU_QUOTA_PERCENT]
# [MEM_MIB] VTB_OWNER (after host-state.sh)
set -euo pipefail
cd /

# A CPU quota is CPU_QUOTA_PERCENT of one CPU in every period of 100 ms (the
# kernel's default CFS period): 95 -> 95000 us of CPU time per 100000 us.
cpu_period_us=100000
cpu_quota_us=""
if [ -n "${CPU_QUOTA_PERCENT:-}" ]; then
  [[ $CPU_QUOTA_PERCENT =~ ^[1-9][0-9]{0,3}$ ]] || {
    echo "lxc-create: bad CPU_QUOTA_PERCENT: $CPU_QUOTA_PERCENT" >&2
    exit 2
  }
  cpu_quota_us=$((CPU_QUOTA_PERCENT * cpu_period_us / 100))
fi

# The container config's cgroup limit lines, for cgroup version $1 (v1 or v2).
# (test/unit/lxc.test.ts runs this function by itself.)
cgroup_limits() {
  if [ "$1" = v2 ]; then
    echo "lxc.cgroup2.cpu.weight = $(((CPU_SHARES * 100 + 512) / 1024))"
    if [ -n "${CPUSET:-}" ]; then echo "lxc.cgroup2.cpuset.cpus = $CPUSET"; fi
    if [ -n "$cpu_quota_us" ]; then echo "lxc.cgroup2.cpu.max = $cpu_quota_us $cpu_period_us"; fi
    if [ -n "${MEM_MIB:-}" ]; then echo "lxc.cgroup2.memory.max = ${MEM_MIB}M"; fi
  else
    echo "lxc.cgroup.cpu.shares = $CPU_SHARES"
    if [ -n "${CPUSET:-}" ]; then echo "lxc.cgroup.cpuset.cpus = $CPUSET"; fi
    if [ -n "$cpu_quota_us" ]; then
      # The period first: a quota is checked against the period in force.
      echo "lxc.cgroup.cpu.cfs_period_us = $cpu_period_us"
      echo "lxc.cgroup.cpu.cfs_quota_us = $cpu_quota_us"
    fi
    if [ -n "${MEM_MIB:-}" ]; then echo "lxc.cgroup.memory.limit_in_bytes = ${MEM_MIB}M"; fi
  fi
}

ct="$LXCPATH/$NAME"
lx() { "$1" -P "$LXCPATH" -n "$NAME" "${@:2}"; }
# Leftovers of this stack's interrupted run under the same name go first;
# another stack's container, or one we did not make, is refused (vtb_claim).
vtb_claim lxc "$NAME" "$([ -e "$ct" ] && echo exists)"
if [ -f "$ct/config" ]; then lx lxc-stop -k >/dev/null 2>&1 || true; lx lxc-destroy >/dev/null 2>&1 || true; fi
ip netns del "$NETNS" 2>/dev/null || true
ip link del "$VETH_CT" 2>/dev/null || true
rm -rf "$ct"
mkdir -p "$ct/upper/etc/systemd/system" "$ct/upper/etc/systemd/network"
echo "$NAME" >"$ct/upper/etc/hostname"
# LXC gives eth0 its address: no DHCP, and no boot waiting for a network
# that is already there (postfix pulls in network-online.target).
ln -sf /dev/null "$ct/upper/etc/systemd/network/10-dhcp.network"
ln -sf /dev/null "$ct/upper/etc/systemd/system/systemd-networkd-wait-online.service"

ip netns add "$NETNS"
ip link add "$VETH_CT" type veth peer name "$VETH_NS" netns "$NETNS"
ip -n "$NETNS" addr add 10.199.0.1/24 dev "$VETH_NS"
ip -n "$NETNS" link set lo up
ip -n "$NETNS" link set "$VETH_NS" up

if [ -f /sys/fs/cgroup/cgroup.controllers ]; then cgroups=v2; else cgroups=v1; fi
limits="$(cgroup_limits "$cgroups")"
cat >"$ct/config" <<CFG
# Written by virt-testbed; removed on pulumi destroy.
# common.conf comes with the lxc package; the Debian lines after it are those
# of debian.common.conf, which only lxc-templates ships (not every host has it).
lxc.include = /usr/share/lxc/config/common.conf
lxc.tty.dir =
lxc.cgroup.devices.allow = c 254:0 rm
lxc.cgroup.devices.allow = c 10:200 rwm
lxc.cgroup.devices.allow = c 10:228 rwm
lxc.cgroup.devices.allow = c 10:232 rwm
lxc.arch = linux64
lxc.uts.name = $NAME
lxc.rootfs.path = overlay:$ROOTFS:$ct/upper
lxc.apparmor.profile = unconfined
lxc.log.file = $ct/lxc.log
lxc.log.level = WARN
lxc.net.0.type = phys
lxc.net.0.link = $VETH_CT
lxc.net.0.name = eth0
lxc.net.0.flags = up
lxc.net.0.ipv4.address = 10.199.0.2/24
$limits
CFG

lx lxc-start -d
lx lxc-wait -s RUNNING -t 30
# lxc-start returns 0 even when init dies at once: wait for systemd itself.
state=""
deadline=$(($(date +%s) + 120))
while [ "$(date +%s)" -lt "$deadline" ]; do
  state="$(lx lxc-attach -- systemctl is-system-running 2>/dev/null || true)"
  case "$state" in running | degraded) break ;; esac
  sleep 1
done
case "$state" in running | degraded) ;; *)
  echo "container $NAME did not finish booting in 120 s (systemd: ${state:-no answer}); log: $ct/lxc.log" >&2
  lx lxc-attach -- systemctl list-jobs --no-pager 2>/dev/null | head -n 10 >&2 || true
  exit 1 ;;
esac
# The quota as the kernel holds it for the container's cgroup (every process of
# the container, those lxc-attach starts included, is in it or below it): a
# config line LXC dropped or the kernel refused must not pass for a limit.
if [ -n "$cpu_quota_us" ]; then
  want="$cpu_quota_us $cpu_period_us"
  if [ "$cgroups" = v2 ]; then
    got="$(lx lxc-cgroup cpu.max 2>&1 || true)"
  else
    got="$(lx lxc-cgroup cpu.cfs_quota_us 2>&1 || true) $(lx lxc-cgroup cpu.cfs_period_us 2>&1 || true)"
  fi
  if [ "$got" != "$want" ]; then
    echo "container $NAME: CPU quota not applied: its cgroup ($cgroups) reads \"$got\" as quota and period in us, expected \"$want\" (cpuQuotaPercent $CPU_QUOTA_PERCENT); log: $ct/lxc.log" >&2
    # Stopped, so that nothing is measured in a container without its limit.
    lx lxc-stop -k >/dev/null 2>&1 || true
    exit 1
  fi
fi
echo "container: $NAME"
echo "lxcpath: $LXCPATH"
echo "netns: $NETNS"
echo "address: 10.199.0.2"
echo "systemd: $state"
echo "kernel: $(lx lxc-attach -- uname -r)"
if [ -n "$cpu_quota_us" ]; then echo "cpu.max: $got"; fi
