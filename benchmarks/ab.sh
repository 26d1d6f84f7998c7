#!/usr/bin/env bash
# One ApacheBench trial from the client's side, against the lighttpd that
# ab-server.sh started in the target (the orchestration starts it before the
# trials and stops it after them, as for iperf).
# Prints `ab -V`, then ab's report, as "@@@ <section>" blocks for ab.parse (ab.ts).
#
# Parameters (environment, validated by ab.ts before they get here):
#   VTB_AB_SERVER       the server's address, as the client reaches it
#   VTB_AB_PORT         the server's HTTP port, as the client reaches it
#   VTB_AB_REQUESTS     requests in all (-n)
#   VTB_AB_CONCURRENCY  requests at a time (-c)
#   VTB_AB_KEEPALIVE    1: HTTP keep-alive (-k), 0: a connection per request
#
# -r: a socket error counts as a failed request instead of ending the run.
# Progress ("Completed 1000 requests") goes to stderr, as ab prints it.
set -uo pipefail
export LC_ALL=C

server=${VTB_AB_SERVER:?VTB_AB_SERVER is required}
port=${VTB_AB_PORT:?VTB_AB_PORT is required}
requests=${VTB_AB_REQUESTS:?VTB_AB_REQUESTS is required}
concurrency=${VTB_AB_CONCURRENCY:?VTB_AB_CONCURRENCY is required}
keepalive=${VTB_AB_KEEPALIVE:?VTB_AB_KEEPALIVE is required}
[[ $server =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || { echo "ab: bad address: $server" >&2; exit 2; }
for n in "$requests" "$concurrency" "$port"; do
  [[ $n =~ ^[1-9][0-9]{0,6}$ ]] || { echo "ab: bad number: $n" >&2; exit 2; }
done
[[ $keepalive == 0 || $keepalive == 1 ]] || { echo "ab: bad keepalive: $keepalive" >&2; exit 2; }

section() { printf '@@@ %s\n' "$*"; }
ab_pid=
trap '[ -n "$ab_pid" ] && kill "$ab_pid" 2>/dev/null; exit 143' TERM INT HUP

section version
ab -V
section ab
args=(-r -n "$requests" -c "$concurrency")
[ "$keepalive" = 1 ] && args+=(-k)
# In the background so a TERM (the trial's timeout) reaches the trap at once.
ab "${args[@]}" "http://$server:$port/bench.bin" &
ab_pid=$!
wait "$ab_pid"
rc=$?
ab_pid=
section end
exit "$rc"
