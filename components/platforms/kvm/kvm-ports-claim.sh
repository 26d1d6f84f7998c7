# A KVM guest's loopback ports (its SSH port and forwards, PORTS) are claimed
# for this stack before QEMU listens on them: a second stack on this host whose
# guestSshPortBase range overlaps is refused here, naming the port, rather
# than have a benchmark reach the other stack's guest through a port it took.
# A port something else listens on, and no stack claimed, is refused too;
# this guest's own QEMU (DOMAIN, made before ports were claimed) is not.
# Env: PORTS (space-separated), DOMAIN.
set -euo pipefail
VTB_CLAIM_HINT="give this server's guestSshPortBase a range no other stack on this host uses (a KVM guest takes its SSH port and that port + 1000, 2000 and 3000)"
# True if the process listening on 127.0.0.1:$1 is this guest's QEMU.
own_qemu() {
  local pid
  for pid in $(ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2); do
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "guest=$DOMAIN," && return 0
  done
  return 1
}
for p in $PORTS; do
  [[ "$p" =~ ^[0-9]+$ ]] || vtb_die "not a port: $p"
  listening=""
  if ss -Hltn "sport = :$p" 2>/dev/null | grep -q . && ! own_qemu "$p"; then listening=exists; fi
  vtb_claim port "$p" "$listening"
done
echo "claimed: $PORTS"
