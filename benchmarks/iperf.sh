#!/usr/bin/env bash
# One iperf 2 trial, the client side (the server runs already: iperf-server.sh).
# Prints `iperf --version`, then the output of one run per direction, as
# "@@@ <section>" blocks for iperf.parse (iperf.ts).
#
# Parameters (environment, validated by iperf.ts before they get here):
#   VTB_IPERF_SERVER      the server's IPv4 address
#   VTB_IPERF_PORT        its TCP port
#   VTB_IPERF_DURATION    seconds per run (-t)
#   VTB_IPERF_PARALLEL    parallel streams (-P)
#   VTB_IPERF_DIRECTIONS  "forward", "reverse" or "forward reverse"
#
# Both directions are measured as two runs on connections the client opens, the
# reverse one with -R (--reverse: the server sends on the connections the client
# opened; iperf 2.1 has it, old 2.0 releases do not: measure "forward" there).
# Not -r/--tradeoff: with it the server opens a second connection back to the
# client's own listener (port 5001 by default), which a firewall or NAT in front
# of a guest drops, and which clashes with a server on port 5001 when both ends
# are on one host, as on loopback.
# -f m: every rate in Mbits/sec, whatever its size.
set -uo pipefail
export LC_ALL=C

server=${VTB_IPERF_SERVER:?VTB_IPERF_SERVER is required}
port=${VTB_IPERF_PORT:?VTB_IPERF_PORT is required}
duration=${VTB_IPERF_DURATION:?VTB_IPERF_DURATION is required}
parallel=${VTB_IPERF_PARALLEL:?VTB_IPERF_PARALLEL is required}
read -r -a directions <<<"${VTB_IPERF_DIRECTIONS:?VTB_IPERF_DIRECTIONS is required}"
bad() { echo "iperf: bad $1: $2" >&2; exit 2; }
[[ $server =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || bad server "$server"
for n in "$port" "$duration" "$parallel"; do
  [[ $n =~ ^[1-9][0-9]{0,4}$ ]] || bad number "$n"
done
((port <= 65535)) || bad port "$port"
for d in "${directions[@]}"; do
  [[ $d == forward || $d == reverse ]] || bad direction "$d"
done

section() { printf '@@@ %s\n' "$*"; }

rc=0
section version
iperf --version 2>&1 || true # iperf 2 prints its version on stderr and exits 1
for d in "${directions[@]}"; do
  section "$d"
  args=(-c "$server" -p "$port" -t "$duration" -P "$parallel" -f m)
  [ "$d" = reverse ] && args+=(-R)
  iperf "${args[@]}" || rc=$?
done
section end
exit "$rc"
