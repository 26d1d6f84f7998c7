# (after listen.sh) Starts ab's web server in the background: a lighttpd of its own, bound to
# VTB_AB_SERVER:VTB_AB_PORT, serving one static file of VTB_AB_FILE_KIB KiB,
# with its configuration and file in a directory of this run's own (mktemp -d;
# the system's lighttpd, its configuration and its default site are not touched).
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

claim ab-server "$addr" "$port"

# Root's own directory (mktemp -d): a fixed name under /tmp could be made first
# by another local user, who would then own the configuration lighttpd reads as root.
work=$(mktemp -d -t vtb-ab-server.XXXXXXXXXX)
mkdir "$work/htdocs"
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

# Without server.errorlog lighttpd logs to its stderr, into DIR/log (listen.sh).
serve ab-server "$addr" "$port" "$work" lighttpd -D -f "$work/lighttpd.conf"
