#!/usr/bin/env bash
# One iperf3 trial, the client side (the server runs already: iperf-server.sh).
# Prints `iperf3 --version`, then the JSON report (-J) of one run per direction,
# as "@@@ <section>" blocks for iperf3.parse (iperf.ts).
#
# Parameters (environment, validated by iperf.ts before they get here):
#   VTB_IPERF_SERVER      the server's IPv4 address
#   VTB_IPERF_PORT        its TCP port
#   VTB_IPERF_DURATION    seconds per run (-t)
#   VTB_IPERF_PARALLEL    parallel streams (-P)
#   VTB_IPERF_DIRECTIONS  "forward", "reverse" or "forward reverse"
#
# The reverse run uses -R: the server sends on the connections the client opened.
# An iperf3 server runs one test at a time and needs a moment between two: a run
# refused with "the server is busy", or that never started (never_started), is
# tried again, up to 5 times, a second apart.
set -uo pipefail
export LC_ALL=C

server=${VTB_IPERF_SERVER:?VTB_IPERF_SERVER is required}
port=${VTB_IPERF_PORT:?VTB_IPERF_PORT is required}
duration=${VTB_IPERF_DURATION:?VTB_IPERF_DURATION is required}
parallel=${VTB_IPERF_PARALLEL:?VTB_IPERF_PARALLEL is required}
read -r -a directions <<<"${VTB_IPERF_DIRECTIONS:?VTB_IPERF_DIRECTIONS is required}"
bad() { echo "iperf3: bad $1: $2" >&2; exit 2; }
[[ $server =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || bad server "$server"
for n in "$port" "$duration" "$parallel"; do
  [[ $n =~ ^[1-9][0-9]{0,4}$ ]] || bad number "$n"
done
((port <= 65535)) || bad port "$port"
for d in "${directions[@]}"; do
  [[ $d == forward || $d == reverse ]] || bad direction "$d"
done

section() { printf '@@@ %s\n' "$*"; }

# A run that never started, so measured nothing: another test still holds the
# server ("server is busy"), or the server is between tests. iperf3 -s closes
# its listener after a test and opens it again; a client that comes in between
# is refused on bare metal, and through a user-mode network (slirp, passt),
# which accepts for the guest before the guest refuses, reset: "unable to
# receive control message: Connection reset by peer" or "control socket has
# closed unexpectedly". A slow guest (TCG) is between tests long enough for the
# reverse run to come in. Such a run is tried again; one that started is not.
never_started() {
  local flat
  flat=$(tr -d '[:space:]' <<<"$1")
  [[ $flat == *'"error":"theserverisbusy'* ]] && return 0
  [[ $flat == *'"connected":[]'* ]] || return 1
  case "$flat" in
    *'"error":"unabletoreceivecontrolmessage'* | *'"error":"controlsockethasclosedunexpectedly'* | \
      *'"error":"unabletoconnecttoserver'*) return 0 ;;
  esac
  return 1
}
error_of() { sed -n 's/.*"error":[[:space:]]*"\([^"]*\)".*/\1/p' <<<"$1" | head -1; }

rc=0
section version
iperf3 --version
for d in "${directions[@]}"; do
  section "$d"
  args=(-c "$server" -p "$port" -t "$duration" -P "$parallel" -J)
  [ "$d" = reverse ] && args+=(-R)
  for try in 1 2 3 4 5; do
    out=$(iperf3 "${args[@]}")
    r=$?
    if [ "$try" -lt 5 ] && never_started "$out"; then
      echo "iperf3: $d: try $try did not start ($(error_of "$out")); again in 1 s" >&2
      sleep 1
      continue
    fi
    break
  done
  printf '%s\n' "$out"
  [ "$r" -eq 0 ] || rc=$r
done
section end
exit "$rc"
