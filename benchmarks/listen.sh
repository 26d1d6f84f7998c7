#!/usr/bin/env bash
# Shared by the pair benchmarks' server scripts (ab-server.sh, iperf-server.sh),
# which follow it in one script: where a server listens, checked and watched, and
# the server itself, started in a directory of its run's own and stopped by PID.

# endpoint WHO ADDR PORT: exits 2, naming WHO, unless ADDR is an IPv4 address
# and PORT a TCP port (ab.ts and iperf.ts validate them first; this is the
# script's own guard, since the values reach a configuration file and argv).
endpoint() {
  [[ $2 =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || { echo "$1: bad address: $2" >&2; exit 2; }
  [[ $3 =~ ^[1-9][0-9]{0,4}$ ]] && (($3 <= 65535)) || { echo "$1: bad port: $3" >&2; exit 2; }
}

# listening ADDR PORT: true when something listens on TCP ADDR:PORT (IPv4).
# Read from /proc/net/tcp, so neither ss nor netstat is needed, and without
# connecting (a connection would count as a test for the server).
listening() {
  local a b c d want
  IFS=. read -r a b c d <<<"$1"
  want=$(printf '%02X%02X%02X%02X:%04X' "$d" "$c" "$b" "$a" "$2")
  awk -v w="$want" '$2 == w && $4 == "0A" { found = 1 } END { exit !found }' /proc/net/tcp
}

# claim WHO ADDR PORT: makes ADDR:PORT free for this owner's server, or exits 1.
# A server this owner started before and could not stop (the way into its
# target was down when its trial ended) is stopped first: found by its shell's
# name, vtb-serve-OWNER (VTB_SERVE_OWNER: the stack, target and benchmark,
# hashed by the orchestration), among root's processes only. Anything else
# listening there, another stack's server or another program, is never touched:
# refused, naming the address.
claim() {
  local who=$1 addr=$2 port=$3 owner=${VTB_SERVE_OWNER:-} p args left=()
  if [ -n "$owner" ]; then
    [[ $owner =~ ^[0-9a-f]{8,64}$ ]] || { echo "$who: bad owner: $owner" >&2; exit 2; }
    # Read with bash alone: the target may have no pgrep (a minbase guest).
    # Root's: real, effective and saved UID 0 (owning /proc/PID is not enough:
    # another user's non-dumpable process shows as root's there).
    for p in /proc/[0-9]*; do
      mapfile -d '' -t args 2>/dev/null <"$p/cmdline" || continue
      [ "${args[0]:-}" = bash ] && [ "${args[1]:-}" = -c ] &&
        [ "${args[3]:-}" = "vtb-serve-$owner" ] || continue
      grep -qs '^Uid:[[:space:]]*0[[:space:]]\+0[[:space:]]\+0[[:space:]]' "$p/status" || continue
      left+=("${p#/proc/}")
    done
  fi
  if [ "${#left[@]}" -gt 0 ]; then
    # Its shell stops the server and removes its directory (serve).
    kill "${left[@]}" 2>/dev/null || true
    for _ in $(seq 1 100); do
      listening "$addr" "$port" || break
      sleep 0.1
    done
    echo "$who: stopped the server an earlier run of this pair left running (PID ${left[*]})" >&2
  fi
  if listening "$addr" "$port"; then
    echo "$who: something else already listens on $addr:$port" >&2
    exit 1
  fi
}

# serve WHO ADDR PORT DIR COMMAND...: starts COMMAND in the background, detached
# (setsid, nohup) so it outlives the SSH session that started it, its output in
# DIR/log, under a small shell that removes DIR when it ends or is told to (sent
# TERM, it stops it first). Once something listens on ADDR:PORT, prints that
# shell's PID, and only that, and exits 0: `kill PID` stops the server and
# removes DIR. A server that does not start is reported with the end of its log,
# DIR removed, and exits 1. The shell is named vtb-serve-OWNER (claim).
# DIR is the caller's own `mktemp -d`, never a fixed path under /tmp: another
# local user could make that first and own what root then writes and runs.
serve() {
  local who=$1 addr=$2 port=$3 dir=$4 pid
  shift 4
  # In a script's background job the shell does not fork again for setsid or
  # nohup, so $! is that small shell's own PID.
  # shellcheck disable=SC2016 # expanded by the inner shell
  setsid nohup bash -c '
    dir=$1
    shift
    "$@" </dev/null >"$dir/log" 2>&1 &
    server=$!
    stop() { kill "$server" 2>/dev/null; wait "$server"; rm -rf "$dir"; exit 0; }
    trap stop TERM
    wait "$server"
    # Ended on its own: DIR goes too, but not at start, when serve shows its log.
    if [ -e "$dir/started" ]; then rm -rf "$dir"; fi
  ' "vtb-serve-${VTB_SERVE_OWNER:-}" "$dir" "$@" </dev/null >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$who: $1 exited at start:" >&2
      tail -n 5 "$dir/log" >&2 || true
      rm -rf "$dir"
      exit 1
    fi
    if listening "$addr" "$port"; then
      touch "$dir/started"
      echo "$pid"
      exit 0
    fi
    sleep 0.1
  done
  echo "$who: $1 does not listen on $addr:$port after 10 s:" >&2
  tail -n 5 "$dir/log" >&2 || true
  kill "$pid" 2>/dev/null || true # its shell stops the server and removes DIR
  exit 1
}
