# (after listen.sh) Starts ab's web server in the background: a lighttpd of its own, bound to
# VTB_AB_SERVER:VTB_AB_PORT, serving one static file of VTB_AB_FILE_KIB KiB,
# with its configuration and file in /tmp/vtb-ab-server-ADDR-PORT (the
# system's lighttpd, its configuration and its default site are not touched).
# Prints a PID (and only that) on stdout: `kill PID` stops the server and
# removes the directory.
#
# Parameters (environment, validated by ab.ts before they get here):
#   VTB_AB_SERVER    the IPv4 address to listen on
#   VTB_AB_PORT      the TCP port to listen on
#   VTB_AB_FILE_KIB  size of the static file served, KiB
#
# lighttpd rather than nginx: one process of about 1 MiB, while Debian bookworm's
# nginx-light is only a transitional package that pulls in nginx and a module.
set -euo pipefail
export LC_ALL=C

addr=${VTB_AB_SERVER:?VTB_AB_SERVER is required}
port=${VTB_AB_PORT:?VTB_AB_PORT is required}
kib=${VTB_AB_FILE_KIB:?VTB_AB_FILE_KIB is required}
endpoint ab-server "$addr" "$port"
[[ $kib =~ ^[1-9][0-9]{0,5}$ ]] || { echo "ab-server: bad file size: $kib" >&2; exit 2; }

if listening "$addr" "$port"; then
  echo "ab-server: something already listens on $addr:$port" >&2
  exit 1
fi

work="/tmp/vtb-ab-server-$addr-$port"
rm -rf "$work"
mkdir -p "$work/htdocs"
# The server drops root for www-data, which must be able to read the file.
chmod 755 "$work" "$work/htdocs"
head -c "$((kib * 1024))" /dev/urandom >"$work/htdocs/bench.bin"
chmod 644 "$work/htdocs/bench.bin"
cat >"$work/lighttpd.conf" <<CONF
server.document-root = "$work/htdocs"
server.bind = "$addr"
server.port = $port
server.username = "www-data"
server.groupname = "www-data"
server.max-keep-alive-requests = 1000000
server.max-connections = 4096
server.max-fds = 8192
mimetype.assign = (".bin" => "application/octet-stream")
CONF

# lighttpd runs under a small shell that removes the directory when lighttpd
# ends or is told to (`kill PID` sends it TERM), so a run leaves nothing behind.
# In a script's background job the shell does not fork again for setsid or nohup,
# so $! is that shell's own PID. Without server.errorlog lighttpd logs to its
# stderr, into a file the shell opens as root.
# shellcheck disable=SC2016 # expanded by the inner shell
setsid nohup bash -c '
  lighttpd -D -f "$1/lighttpd.conf" </dev/null >"$1/error.log" 2>&1 &
  server=$!
  trap "kill $server 2>/dev/null; wait $server; rm -rf \"$1\"; exit 0" TERM
  wait "$server"
  rm -rf "$1"
' ab-server "$work" </dev/null >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "ab-server: lighttpd exited at start" >&2
    exit 1
  fi
  if listening "$addr" "$port"; then
    echo "$pid"
    exit 0
  fi
  sleep 0.1
done
echo "ab-server: lighttpd does not listen on $addr:$port after 10 s:" >&2
tail -n 5 "$work/error.log" >&2 2>/dev/null
kill "$pid" 2>/dev/null || true
exit 1
