# Releases the loopback ports kvm-ports-claim.sh claimed (only this stack's).
# Env: PORTS.
set -euo pipefail
for p in $PORTS; do
  [[ "$p" =~ ^[0-9]+$ ]] || continue
  vtb_unclaim port "$p"
done
echo "released: $PORTS"
