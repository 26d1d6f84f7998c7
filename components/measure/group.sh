#!/usr/bin/env bash
# On the physical server: runs one benchmark in every guest of a concurrent
# group at once (the 2009 paper's 8 VMs at once), each guest's trials one after
# another as runner.sh does. Prints each guest's output as one section,
# "@@@ guest I" ... "@@@ guest-end I". One step for the whole group, so the
# group always runs, and reruns, together.
set -uo pipefail
cd /
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
# The runner and its VTB_/BENCH_ environment, quoted with printf %q so no value
# is re-parsed; the guests' own entries (and keys) stay here.
runner_text() {
  for v in $(compgen -e); do
    case "$v" in
      VTB_G[0-9]*) ;;
      VTB_* | BENCH_*) printf 'export %s=%q\n' "$v" "${!v}" ;;
    esac
  done
  printf '%s\n' "$VTB_RUNNER"
}
in_guest() {
  local via="VTB_G${1}_VIA" name="VTB_G${1}_NAME" lxcpath="VTB_G${1}_LXCPATH"
  local host="VTB_G${1}_SSH_HOST" port="VTB_G${1}_SSH_PORT" key="VTB_G${1}_SSH_KEY"
  case "${!via}" in
    lxc) lxc-attach -P "${!lxcpath}" -n "${!name}" -- bash -s ;;
    openvz) vzctl exec "${!name}" - ;;
    ssh)
      (umask 077 && printf '%s\n' "${!key}" >"$dir/key.$1")
      ssh -q -i "$dir/key.$1" -p "${!port}" -o BatchMode=yes -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "root@${!host}" bash -s ;;
    *) echo "unknown way into guest $1: ${!via}" >&2; return 2 ;;
  esac
}
runner_text >"$dir/runner"
for i in $(seq 0 $((VTB_GROUP_SIZE - 1))); do
  (in_guest "$i" <"$dir/runner" >"$dir/$i.out" 2>"$dir/$i.err"; echo $? >"$dir/$i.rc") &
done
wait
for i in $(seq 0 $((VTB_GROUP_SIZE - 1))); do
  echo "@@@ guest $i"
  cat "$dir/$i.out"
  if [ -s "$dir/$i.out" ] && [ -n "$(tail -c 1 "$dir/$i.out")" ]; then echo; fi
  rc="$(cat "$dir/$i.rc")"
  # The runner always exits 0: anything else is the way in failing.
  if [ "$rc" != 0 ]; then
    echo "@@@ guest-failed $i rc=$rc"
    tail -n 5 "$dir/$i.err"
  fi
  echo "@@@ guest-end $i"
done
