#!/usr/bin/env bash
# One ApacheBench trial against a lighttpd of its own: started here on
# 127.0.0.1 only, on a port of its own, with its configuration and a static file
# in a temporary directory (the system's lighttpd, its configuration and its
# default site are not touched), stopped and removed at the end.
# Prints `ab -V`, then ab's report, as "@@@ <section>" blocks for ab.parse (ab.ts).
#
# Parameters (environment, validated by ab.ts before they get here):
#   VTB_AB_REQUESTS     requests in all (-n)
#   VTB_AB_CONCURRENCY  requests at a time (-c)
#   VTB_AB_FILE_KIB     size of the static file served, KiB
#   VTB_AB_KEEPALIVE    1: HTTP keep-alive (-k), 0: a connection per request
#   VTB_AB_PORT         the HTTP port on 127.0.0.1
#
# lighttpd rather than nginx: one process of about 1 MiB, while Debian bookworm's
# nginx-light is only a transitional package that pulls in nginx and a module.
# -r: a socket error counts as a failed request instead of ending the run.
# Progress ("Completed 1000 requests") goes to stderr, as ab prints it.
set -uo pipefail
export LC_ALL=C

requests=${VTB_AB_REQUESTS:?VTB_AB_REQUESTS is required}
concurrency=${VTB_AB_CONCURRENCY:?VTB_AB_CONCURRENCY is required}
kib=${VTB_AB_FILE_KIB:?VTB_AB_FILE_KIB is required}
keepalive=${VTB_AB_KEEPALIVE:?VTB_AB_KEEPALIVE is required}
port=${VTB_AB_PORT:?VTB_AB_PORT is required}
for n in "$requests" "$concurrency" "$kib" "$port"; do
  [[ $n =~ ^[1-9][0-9]{0,6}$ ]] || { echo "ab: bad number: $n" >&2; exit 2; }
done
[[ $keepalive == 0 || $keepalive == 1 ]] || { echo "ab: bad keepalive: $keepalive" >&2; exit 2; }

section() { printf '@@@ %s\n' "$*"; }

# True when something listens on 127.0.0.1:PORT, read from /proc/net/tcp.
listening() {
  awk -v w="$(printf '0100007F:%04X' "$1")" '$2 == w && $4 == "0A" { f = 1 } END { exit !f }' \
    /proc/net/tcp
}

work=$(mktemp -d /tmp/vtb-ab.XXXXXX) || exit 1
server_pid=
ab_pid=
cleanup() {
  [ -n "$ab_pid" ] && kill "$ab_pid" 2>/dev/null
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP

if listening "$port"; then
  echo "ab: something already listens on 127.0.0.1:$port" >&2
  exit 1
fi

# The server drops root for www-data, which must be able to read the file.
chmod 755 "$work"
mkdir "$work/htdocs"
head -c "$((kib * 1024))" /dev/urandom >"$work/htdocs/bench.bin"
chmod 644 "$work/htdocs/bench.bin"
cat >"$work/lighttpd.conf" <<EOF
server.document-root = "$work/htdocs"
server.bind = "127.0.0.1"
server.port = $port
server.username = "www-data"
server.groupname = "www-data"
server.max-keep-alive-requests = 1000000
server.max-connections = 4096
server.max-fds = 8192
mimetype.assign = (".bin" => "application/octet-stream")
EOF

# Without server.errorlog lighttpd logs to its stderr, into a file the shell opens as
# root (lighttpd would open one itself only after dropping to www-data).
lighttpd -D -f "$work/lighttpd.conf" </dev/null >"$work/error.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  listening "$port" && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if ! listening "$port"; then
  echo "ab: lighttpd does not listen on 127.0.0.1:$port" >&2
  cat "$work/error.log" >&2 2>/dev/null
  exit 1
fi

section version
ab -V
section ab
args=(-r -n "$requests" -c "$concurrency")
[ "$keepalive" = 1 ] && args+=(-k)
# In the background so a TERM (the trial's timeout) reaches the trap at once.
ab "${args[@]}" "http://127.0.0.1:$port/bench.bin" &
ab_pid=$!
wait "$ab_pid"
rc=$?
ab_pid=
section end
exit "$rc"
