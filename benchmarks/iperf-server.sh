# (after listen.sh) Starts an iperf 2 or iperf3 server in the background, bound to
# VTB_IPERF_SERVER:VTB_IPERF_PORT, and prints a PID (and only that) on stdout:
# `kill PID` stops the server.
#
# Parameters (environment, validated by iperf.ts before they get here):
#   VTB_IPERF_TOOL    iperf (iperf 2) or iperf3
#   VTB_IPERF_SERVER  the IPv4 address to listen on
#   VTB_IPERF_PORT    the TCP port to listen on
#
# The server runs detached (setsid, nohup, no terminal) so it outlives the SSH
# session that started it; its own output goes to a log in a directory of this
# run's own (mktemp -d), removed when it is stopped. Nothing is kept under a name
# another run could find: a PID file there would let another stack, or another
# local user, have this run reuse their server, or stop this run's.
set -euo pipefail
export LC_ALL=C

tool=${VTB_IPERF_TOOL:?VTB_IPERF_TOOL is required}
addr=${VTB_IPERF_SERVER:?VTB_IPERF_SERVER is required}
port=${VTB_IPERF_PORT:?VTB_IPERF_PORT is required}
[[ $tool == iperf || $tool == iperf3 ]] || { echo "iperf-server: bad tool: $tool" >&2; exit 2; }
endpoint iperf-server "$addr" "$port"

claim iperf-server "$addr" "$port"

run=$(mktemp -d -t vtb-iperf-server.XXXXXXXXXX)
serve iperf-server "$addr" "$port" "$run" "$tool" -s -B "$addr" -p "$port"
