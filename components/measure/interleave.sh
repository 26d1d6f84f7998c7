# On the physical server (after way-in.sh and units.sh): one round of an
# interleaved run. Every unit (a target, a pair or a concurrent group; VTB_U<u>)
# runs one trial, in the round's order (VTB_ROUND_ORDER, seeded and recorded by
# the TypeScript side), one unit at a time. While a unit runs, the server's
# other guests (VTB_Q<k>) are paused unless VTB_BACKGROUND says they run (a
# measurement under load), and resumed after it, on any exit, and, for a round
# that was killed before it could, at the start of the next one.
# Prints mark_round (the server's mitigations, filesystem and NIC), then per unit
# mark_turn (what was paused, the host's load, CPU busy, governor, MHz, kernel
# and clock just before, and how long it waited for the host to get quiet) and
# one section per target (mark_guest T ...).
set -uo pipefail
cd /
dir="$(mktemp -d)" || exit 2
paused=()
trap 'resume_paused; resume_all; pair_stop; rm -rf "$dir"; way_cleanup' EXIT
trap 'exit 143' TERM INT HUP

# quiet pause|resume K: guest VTB_Q<K> paused or resumed as its kind does it.
quiet() {
  local q="VTB_Q$2" via name lxcpath
  via="${q}_VIA" name="${q}_NAME" lxcpath="${q}_LXCPATH"
  case "${!via:-}:$1" in
    lxc:pause) lxc-freeze -P "${!lxcpath}" -n "${!name}" ;;
    lxc:resume) lxc-unfreeze -P "${!lxcpath}" -n "${!name}" ;;
    libvirt:pause) virsh -q -c qemu:///system suspend "${!name}" >/dev/null ;;
    libvirt:resume) virsh -q -c qemu:///system resume "${!name}" >/dev/null ;;
    xen:pause) xl pause "${!name}" ;;
    xen:resume) xl unpause "${!name}" ;;
    # The checkpoint's suspend stage alone: frozen in place, not dumped to disk
    # (vzctl suspend writes its RAM out). Not tried: no OpenVZ kernel here.
    openvz:pause) vzctl chkpnt "${!name}" --suspend >/dev/null ;;
    openvz:resume) vzctl chkpnt "${!name}" --resume >/dev/null ;;
    *) echo "no way to $1 ${!name:-guest $2} (${!via:-unset})" >&2; return 2 ;;
  esac
}
resume_paused() {
  local k label
  for k in "${paused[@]}"; do
    label="VTB_Q${k}_LABEL"
    quiet resume "$k" || echo "could not resume ${!label}: resume it by hand" >&2
  done
  paused=()
}
# Every guest resumed, whether this script paused it or not: a pause already
# asked for when a signal came (not yet in `paused`), or one left by a round
# killed before its resume (SIGKILL). A guest that is not paused refuses, quietly.
resume_all() {
  local k
  for k in $(seq 0 $((VTB_QUIET - 1))); do quiet resume "$k" >/dev/null 2>&1 || true; done
  paused=()
}
resume_all

# A unit's variables under the names the functions of units.sh read, in the
# unit's subshell: its prefix's unit number dropped (its SERVER_VIA becomes
# the pair's server way's VIA).
unit_env() {
  local v
  for v in $(compgen -v "VTB_U${1}_"); do
    export "${v/#"VTB_U$1"/VTB}=${!v}"
  done
  # A pair's client connects to its own unit's server: the trial's variables of the unit.
  if [ -n "${VTB_EXPORTS:-}" ]; then eval "$VTB_EXPORTS"; fi
  way_keys_private
}

# One turn on this server at a time, whichever stack (or user) runs it: another
# stack's guests are not paused for our turn, nor ours for theirs, so a turn
# waits up to VTB_MEASURE_WAIT s for any other's to end, and says how long
# (lockwait). The lock file is in root's checked directory (host-state.sh). A
# trial never holds it (7>&- below): a daemon it leaves would hold it forever.
measure_lock() {
  vtb_wait_lock 7 "$lockfile" "${VTB_MEASURE_WAIT:-3600}" || return 1
  lockwait=$vtb_lock_waited
}
lockfile="$(vtb_host_dir)/measure.lock" || exit 2
export VTB_TRIALS=1 VTB_TRIAL_FIRST="$VTB_ROUND"
# Bare metal measured in dom0 would be archived as the plain kernel's.
if [ "${VTB_PLAIN_KERNEL:-}" = 1 ] && grep -qs control_d /proc/xen/capabilities; then
  echo "not measured: bare metal is measured on the plain kernel, before the reboot into Xen, and the server runs Xen now (this run was made again after the reboot). To measure it again, destroy the stack (or its xen platform, which reboots the server back) and run up" >&2
  exit 2
fi
# How many CPUs' worth of time was not idle (iowait counts as idle, steal as
# busy) over half a second, once the others are paused: someone else's work on
# the machine shows here, where load1 still holds the previous trial's.
cpu_busy() {
  local a b n
  n="$(grep -c '^cpu[0-9]' /proc/stat)" || n=0
  a="$(head -n 1 /proc/stat)" && sleep 0.5 && b="$(head -n 1 /proc/stat)" || { echo -; return; }
  # user nice system idle iowait irq softirq steal (guest time is inside user).
  awk -v a="$a" -v b="$b" -v n="$n" 'BEGIN {
    split(a, x); split(b, y); t = 0
    for (i = 2; i <= 9; i++) t += y[i] - x[i]
    idle = y[5] - x[5] + y[6] - x[6]
    if (t > 0 && n > 0) printf "%.2f\n", n * (t - idle) / t; else print "-"
  }'
}
# Sets busy (cpu_busy's last sample) and waited (seconds): samples until the host
# has less than VTB_QUIET_BELOW CPUs of other work, for up to VTB_QUIET_WAIT
# seconds (the program's own start, a finishing step, a cron job pass); a host
# busy that long is busy with someone else's work, and the round's later turns
# sample once. Under VTB_BACKGROUND the running guests are the experiment: once.
patience="${VTB_QUIET_WAIT:-0}"
quiet_host() {
  local n=0 # half-second samples before this one
  while :; do
    busy="$(cpu_busy)"
    waited="$((n / 2)).$((n % 2 * 5))"
    [ "${VTB_BACKGROUND:-0}" != 1 ] && [ "$busy" != - ] || return 0
    awk -v b="$busy" -v q="${VTB_QUIET_BELOW:-1}" 'BEGIN { exit !(b < q) }' && return 0
    n=$((n + 1))
    [ "$n" -le "$((patience * 2))" ] || { patience=0; return 0; }
  done
}
# The server as it is now, for the round's trials: the kernel's mitigations
# setting and what it reports vulnerable, the root filesystem, the default
# route's NIC and speed. Values without spaces ("-" for none or unknown).
mitigations() {
  local m
  m="$(grep -o 'mitigations=[^ ]*' /proc/cmdline 2>/dev/null | tail -n 1)"
  echo "${m#mitigations=}" | sed 's/^$/default/'
}
vulnerable() {
  local f list=()
  for f in /sys/devices/system/cpu/vulnerabilities/*; do
    grep -q '^Vulnerable' "$f" 2>/dev/null && list+=("${f##*/}")
  done
  (IFS=,; echo "${list[*]:--}")
}
root_fs() {
  local fs
  fs="$(findmnt -n -r -o FSTYPE,SOURCE -T / 2>/dev/null | head -n 1)"
  fs="${fs// /:}"
  echo "${fs:--}"
}
nic() {
  local dev speed
  dev="$(ip -o route show default 2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')"
  [ -n "$dev" ] || { echo -; return; }
  speed="$(cat "/sys/class/net/$dev/speed" 2>/dev/null)" || speed=
  case "$speed" in '' | -*) speed=- ;; *) speed="${speed}Mb/s" ;; esac
  echo "${dev}:${speed}"
}

mark_round "$VTB_ROUND" "${VTB_ROUND_ORDER// /,}" "$(mitigations)" "$(vulnerable)" \
  "$(root_fs)" "$(nic)"
position=0
for u in $VTB_ROUND_ORDER; do
  kind="VTB_U${u}_KIND" keep="VTB_U${u}_KEEP" targets="VTB_U${u}_TARGETS"
  names=()
  # A target that did not come up (down) runs nothing: no guest paused, no lock
  # taken, no wait for a quiet host for it.
  if [ "${VTB_BACKGROUND:-0}" != 1 ] && [ "${!kind}" != down ]; then
    for k in $(seq 0 $((VTB_QUIET - 1))); do
      case " ${!keep} " in *" $k "*) continue ;; esac
      label="VTB_Q${k}_LABEL"
      if quiet pause "$k" 2>"$dir/quiet.err"; then
        paused+=("$k")
        names+=("${!label}")
      else
        echo "could not pause ${!label} (measured beside it): $(tail -n 2 "$dir/quiet.err")" >&2
      fi
    done
  fi
  list="$(IFS=,; echo "${names[*]:-}")"
  lockwait=0
  if [ "${!kind}" != down ] && ! measure_lock; then
    echo "not run: another virt-testbed measurement on this server held $lockfile for ${VTB_MEASURE_WAIT:-3600} s" >"$dir/err"
    : >"$dir/out"
    for t in ${!targets}; do section "$t" "$dir/out" 75 "$dir/err"; done
    resume_paused
    position=$((position + 1))
    continue
  fi
  governor="$(cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_governor 2>/dev/null || echo -)"
  mhz="$(awk -F': *' '/^cpu MHz/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)"
  if [ "${!kind}" = down ]; then busy=- waited=0; else quiet_host; fi
  mark_turn "$VTB_ROUND" "$u" "$position" "${list:--}" "$(cut -d' ' -f1 /proc/loadavg)" \
    "${governor// /_}" "${mhz:--}" "$(uname -r)" "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$busy" \
    "$waited" "$lockwait"
  case "${!kind}" in
    # A target that did not come up sits its turn out: its trials say why (interleaved.ts).
    down) ;;
    group) (unit_env "$u" && group_trials "${!targets}") 7>&- ;;
    pair)
      (unit_env "$u" && trap 'pair_stop' EXIT && pair_trials) >"$dir/out" 2>"$dir/err" 7>&-
      section "${!targets}" "$dir/out" $? "$dir/err"
      # What the pair's start and stop said (its trials' own stderr is in their sections):
      # a server left running, or one found left and stopped, is a warning whatever the trial gave.
      cat "$dir/err" >&2
      ;;
    run)
      (unit_env "$u" && enter_trials) >"$dir/out" 2>"$dir/err" 7>&-
      section "${!targets}" "$dir/out" $? "$dir/err"
      ;;
    *) echo "unit $u: unknown kind ${!kind}" >&2 ;;
  esac
  exec 7>&-
  resume_paused
  position=$((position + 1))
done
exit 0
