# Shared by enter.sh, pair.sh, group.sh and interleave.sh, after way-in.sh: a
# benchmark's trials in one target, in a pair, or in a concurrent group, one
# function each, reading the runner protocol's names
# (components/measure/protocol.ts). `dir` is the step's own temporary
# directory (mktemp -d).

# The trials in one target: the runner handed to a shell there (way_in VTB_IN).
enter_trials() { runner_text | way_in VTB_IN; }

# A pair: starts the benchmark's server inside its target (way_in
# VTB_SERVER), runs the client's trials where the client is (way_in
# VTB_CLIENT: here, the container's network namespace, a VM guest, ...), then
# stops the server. pair_stop stops it on any way out (the caller's EXIT trap).
# A way in that fails (a guest's network stalled: seen for over a minute under
# QEMU's user network) is tried twice, 5 s apart, each bounded (VTB_WAY_TIMEOUT:
# about 20 s at most); a server still running then is said ("could not stop"),
# and the pair's next start stops it (listen.sh claim): left, it would hold its port.
pair_pid=""
pair_stop() {
  local try
  [ -n "$pair_pid" ] || return 0
  for try in 1 2; do
    if printf 'kill %s 2>/dev/null || true\n' "$pair_pid" |
      VTB_WAY_TIMEOUT=10 way_in VTB_SERVER >/dev/null 2>&1; then
      pair_pid=""
      return 0
    fi
    [ "$try" = 2 ] || sleep 5
  done
  echo "could not stop the pair's server (PID $pair_pid in its target): the way in failed twice; its next start stops it" >&2
  pair_pid=""
}
pair_trials() {
  pair_pid="$({ printf '%s' "$VTB_PAIR_SERVER_EXPORTS"; printf '%s\n' "$VTB_PAIR_SERVER_SCRIPT"; } | way_in VTB_SERVER)" || true
  if ! [[ "$pair_pid" =~ ^[0-9]+$ ]]; then
    echo "the server did not start in the target (printed: ${pair_pid:-nothing})" >&2
    pair_pid=""
    return 1
  fi
  if ! runner_text | way_in VTB_CLIENT; then
    echo "could not run the client's trials (${VTB_CLIENT_VIA})" >&2
    pair_stop
    return 1
  fi
  pair_stop
}

# One section of output: mark_guest I, what ran (file $2), and when the way in
# failed (exit $3; the runner itself always exits 0) mark_guest_failed I RC and
# the tail of its stderr (file $4), then mark_guest_end I.
section() {
  mark_guest "$1"
  cat "$2"
  if [ -s "$2" ] && [ -n "$(tail -c 1 "$2")" ]; then echo; fi
  if [ "$3" != 0 ]; then
    mark_guest_failed "$1" "$3"
    tail -n 5 "$4"
  fi
  mark_guest_end "$1"
}

# A concurrent group (the 2009 paper's 8 VMs at once): the runner in every
# guest (VTB_G<i>) at once, then each guest's output as one section, numbered
# by the list $1 (default 0 1 ...).
group_trials() {
  local i n=$((VTB_GROUP_SIZE - 1)) ids
  read -r -a ids <<<"${1:-$(seq -s ' ' 0 "$n")}"
  runner_text >"$dir/runner" || return 2
  for i in $(seq 0 "$n"); do
    (way_in "VTB_G$i" <"$dir/runner" >"$dir/g$i.out" 2>"$dir/g$i.err"; echo $? >"$dir/g$i.rc") &
  done
  wait
  for i in $(seq 0 "$n"); do
    section "${ids[$i]}" "$dir/g$i.out" "$(cat "$dir/g$i.rc")" "$dir/g$i.err"
  done
}
