#!/usr/bin/env bash
# Shared by the pair benchmarks' server scripts (ab-server.sh, iperf-server.sh),
# which follow it in one script: where a server listens, checked and watched.

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
