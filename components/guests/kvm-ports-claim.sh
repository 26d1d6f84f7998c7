# A KVM guest's loopback ports (its SSH port and forwards, PORTS) are claimed
# for this stack before QEMU listens on them: a second stack on this host whose
# guestSshPortBase range overlaps is refused here, naming the port, rather
# than have a benchmark reach the other stack's guest through a port it took.
# A port something else listens on, and no stack claimed, is refused too.
# Env: PORTS (space-separated).
set -euo pipefail
VTB_CLAIM_HINT="give this server's guestSshPortBase a range no other stack on this host uses (a KVM guest takes its SSH port and that port + 1000, 2000 and 3000)"
for p in $PORTS; do
  [[ "$p" =~ ^[0-9]+$ ]] || vtb_die "not a port: $p"
  listening=""
  if ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then listening=exists; fi
  vtb_claim port "$p" "$listening"
done
echo "claimed: $PORTS"
