# (after listen.sh) Starts an iperf 2 or iperf3 server in the background, bound to
# VTB_IPERF_SERVER:VTB_IPERF_PORT, and prints its PID (and only that) on stdout.
# Safe to run twice: while the server this script started for that address and
# port still runs, its PID is printed again and nothing new is started.
#
# Parameters (environment, validated by iperf.ts before they get here):
#   VTB_IPERF_TOOL    iperf (iperf 2) or iperf3
#   VTB_IPERF_SERVER  the IPv4 address to listen on
#   VTB_IPERF_PORT    the TCP port to listen on
#
# The server runs detached (setsid, nohup, no terminal) so it outlives the SSH
# session that started it; its own output goes to a log beside its PID file.
# Stop it with `kill PID`.
set -euo pipefail
export LC_ALL=C

tool=${VTB_IPERF_TOOL:?VTB_IPERF_TOOL is required}
addr=${VTB_IPERF_SERVER:?VTB_IPERF_SERVER is required}
port=${VTB_IPERF_PORT:?VTB_IPERF_PORT is required}
[[ $tool == iperf || $tool == iperf3 ]] || { echo "iperf-server: bad tool: $tool" >&2; exit 2; }
endpoint iperf-server "$addr" "$port"

pidfile="${TMPDIR:-/tmp}/vtb-$tool-server-$addr-$port.pid"
log="${pidfile%.pid}.log"

# True when PID is a live process (not a zombie: nothing may reap orphans soon).
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  [[ $stat != *") "[ZX]* ]]
}
# True when PID is a live process of the tool (setsid and nohup exec into it).
running() {
  alive "$1" && [[ $(cat "/proc/$1/stat" 2>/dev/null) == "$1 ($tool) "* ]]
}

if [ -s "$pidfile" ]; then
  pid=$(cat "$pidfile")
  if [[ $pid =~ ^[0-9]+$ ]] && running "$pid" && listening "$addr" "$port"; then
    echo "$pid"
    exit 0
  fi
  rm -f "$pidfile" # a stale file: that server is gone
fi
if listening "$addr" "$port"; then
  echo "iperf-server: something else already listens on $addr:$port" >&2
  exit 1
fi

# In a script's background job the shell does not fork again for setsid or nohup,
# so $! is the server's own PID.
setsid nohup "$tool" -s -B "$addr" -p "$port" </dev/null >"$log" 2>&1 &
pid=$!
echo "$pid" >"$pidfile"
for _ in $(seq 1 100); do
  if ! alive "$pid"; then
    echo "iperf-server: $tool exited at start:" >&2
    tail -n 5 "$log" >&2
    rm -f "$pidfile"
    exit 1
  fi
  if listening "$addr" "$port" && running "$pid"; then
    echo "$pid"
    exit 0
  fi
  sleep 0.1
done
echo "iperf-server: $tool (PID $pid) does not listen on $addr:$port after 10 s" >&2
kill "$pid" 2>/dev/null || true
rm -f "$pidfile"
exit 1
