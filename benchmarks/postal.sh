#!/usr/bin/env bash
# One Postal trial: SMTP delivery into a Postfix instance of its own, started
# here on 127.0.0.1 only, on a non-standard port, with its own configuration,
# queue and mailboxes in a temporary directory; stopped and removed at the end.
# Prints postal's version, the start time, postal's per-minute CSV lines and the
# stop time, as "@@@ <section>" blocks for postal.parse (postal.ts):
#   @@@ version / @@@ start EPOCH / <postal's output> / @@@ stop EPOCH / @@@ end
#
# Parameters (environment, validated by postal.ts before they get here):
#   VTB_POSTAL_MINUTES   minutes postal runs (it runs until stopped: `timeout`)
#   VTB_POSTAL_THREADS   postal's sending threads (-t)
#   VTB_POSTAL_MIN_KIB   smallest message body in KiB (-M)
#   VTB_POSTAL_MAX_KIB   largest message body in KiB (-m)
#   VTB_POSTAL_USERS     number of mailboxes (user1@example.com ...)
#   VTB_POSTAL_PORT      the SMTP port on 127.0.0.1
#
# Why Postfix and not an SMTP sink (such as postal's own bhm): the point is the
# target's mail delivery, and a sink only measures the SMTP dialogue. Postfix
# takes each message into its queue (written and fsync'ed), its queue manager
# hands it to the virtual(8) delivery agent, which writes it into a Maildir: the
# work of a real mail server, file system and disk included. Its configuration
# directory (`postfix -c DIR`) keeps the system's own Postfix, its main.cf and
# its port 25 out of it. Every recipient is a local virtual mailbox and every
# other transport is an error, so nothing leaves the machine; the work directory
# is under /var/tmp, on disk like a mail spool, not on a tmpfs.
#
# Postal prints a CSV line at every wall-clock minute (its time is the minute that
# line ends, in TZ, set to UTC here) with what was done since the line before. The
# first line is a partial minute; postal is stopped with SIGTERM (its SIGINT
# handling can hang), so the partial minute at the end is never printed. The start
# and stop times let the parser keep only the lines of whole minutes.
# rabid (POP3 retrieval) is not run: it would need a POP3 server too.
set -uo pipefail
export LC_ALL=C

minutes=${VTB_POSTAL_MINUTES:?VTB_POSTAL_MINUTES is required}
threads=${VTB_POSTAL_THREADS:?VTB_POSTAL_THREADS is required}
min_kib=${VTB_POSTAL_MIN_KIB:?VTB_POSTAL_MIN_KIB is required}
max_kib=${VTB_POSTAL_MAX_KIB:?VTB_POSTAL_MAX_KIB is required}
users=${VTB_POSTAL_USERS:?VTB_POSTAL_USERS is required}
port=${VTB_POSTAL_PORT:?VTB_POSTAL_PORT is required}
for n in "$min_kib" "$max_kib"; do
  [[ $n =~ ^(0|[1-9][0-9]{0,4})$ ]] || { echo "postal: bad size: $n" >&2; exit 2; }
done
for n in "$minutes" "$threads" "$users" "$port"; do
  [[ $n =~ ^[1-9][0-9]{0,4}$ ]] || { echo "postal: bad number: $n" >&2; exit 2; }
done

section() { printf '@@@ %s\n' "$*"; }

# True when something listens on 127.0.0.1:PORT, read from /proc/net/tcp.
listening() {
  awk -v w="$(printf '0100007F:%04X' "$1")" '$2 == w && $4 == "0A" { f = 1 } END { exit !f }' \
    /proc/net/tcp
}

work=$(mktemp -d /var/tmp/vtb-postal.XXXXXX) || exit 1
postal_pid=
cleanup() {
  [ -n "$postal_pid" ] && kill "$postal_pid" 2>/dev/null
  if [ -s "$work/spool/pid/master.pid" ]; then
    postfix -c "$work/etc" stop >&2 || true
    master=$(tr -d ' ' <"$work/spool/pid/master.pid")
    for _ in $(seq 1 100); do
      kill -0 "$master" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$master" 2>/dev/null && { postfix -c "$work/etc" abort >&2 || true; }
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP

if listening "$port"; then
  echo "postal: something already listens on 127.0.0.1:$port" >&2
  exit 1
fi

mkdir -p "$work/etc" "$work/spool" "$work/data" "$work/mail"
chmod 755 "$work"
chown postfix "$work/data"
chown nobody:nogroup "$work/mail"
for i in $(seq 1 "$users"); do
  echo "user$i@example.com"
done >"$work/users"
sed 's/^user\([0-9]*\)@example\.com$/& example.com\/user\1\//' "$work/users" >"$work/etc/vmailbox"

cat >"$work/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $work/spool
data_directory = $work/data
mail_owner = postfix
setgid_group = postdrop
myhostname = postal-bench.example.com
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains =
smtpd_peername_lookup = no
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = permit_mynetworks, reject
default_transport = error:outbound mail disabled
relay_transport = error:outbound mail disabled
virtual_mailbox_domains = example.com
virtual_mailbox_base = $work/mail
virtual_mailbox_maps = texthash:$work/etc/vmailbox
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_mailbox_limit = 0
message_size_limit = 0
alias_maps =
alias_database =
biff = no
smtputf8_enable = no
maillog_file = $work/maillog
maillog_file_prefixes = $work
EOF
# The services Postfix needs to take mail over SMTP and deliver it to virtual
# mailboxes; no chroot (it would need copies of system files), no outbound smtp.
cat >"$work/etc/master.cf" <<EOF
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n - n 60    1 pickup
cleanup   unix  n - n -     0 cleanup
qmgr      unix  n - n 300   1 qmgr
rewrite   unix  - - n -     - trivial-rewrite
bounce    unix  - - n -     0 bounce
defer     unix  - - n -     0 bounce
trace     unix  - - n -     0 bounce
verify    unix  - - n -     1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -     - proxymap
showq     unix  n - n -     - showq
error     unix  - - n -     - error
retry     unix  - - n -     - error
discard   unix  - - n -     - discard
virtual   unix  - n n -     - virtual
anvil     unix  - - n -     1 anvil
scache    unix  - - n -     1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF

if ! postfix -c "$work/etc" start >&2; then
  echo "postal: Postfix did not start:" >&2
  tail -n 5 "$work/maillog" >&2 2>/dev/null
  exit 1
fi
for _ in $(seq 1 100); do
  listening "$port" && break
  sleep 0.1
done
if ! listening "$port"; then
  echo "postal: Postfix does not listen on 127.0.0.1:$port" >&2
  tail -n 5 "$work/maillog" >&2 2>/dev/null
  exit 1
fi

section version
# postal has no --version: its usage text ends with "Postal Version: X" (exit 1).
{ postal 2>&1 || true; } | grep '^Postal Version:'
dpkg-query -W postal 2>/dev/null || true

cd "$work" || exit 1 # postal writes postal.log into the current directory
section start "$(date +%s)"
TZ=UTC timeout -s TERM "${minutes}m" postal -p "$port" -t "$threads" -M "$min_kib" -m "$max_kib" \
  127.0.0.1 "$work/users" &
postal_pid=$!
wait "$postal_pid"
rc=$?
postal_pid=
section stop "$(date +%s)"
section end
# timeout's 124: postal ran until it was stopped, as it should.
[ "$rc" -eq 124 ] || { echo "postal: postal exited early ($rc)" >&2; exit 1; }
exit 0
