# On the physical server where the client runs (after way-in.sh): starts the
# benchmark's server inside its target (way_in VTB_SERVER), runs the client's
# trials where the client is (way_in VTB_CLIENT: here, the container's network
# namespace, a VM guest, ...), then stops the server. One step, so server and
# client always run together.
set -euo pipefail
cd /
pid=""
cleanup() {
  if [ -n "$pid" ]; then printf 'kill %s 2>/dev/null || true\n' "$pid" | way_in VTB_SERVER >/dev/null 2>&1 || true; fi
  way_cleanup
}
trap cleanup EXIT
pid="$({ printf '%s' "$VTB_PAIR_SERVER_EXPORTS"; printf '%s\n' "$VTB_PAIR_SERVER_SCRIPT"; } | way_in VTB_SERVER)"
if ! [[ "$pid" =~ ^[0-9]+$ ]]; then
  echo "the server did not start in the target (printed: ${pid:-nothing})" >&2
  pid=""
  exit 1
fi
if ! runner_text | way_in VTB_CLIENT; then
  echo "could not run the client's trials (${VTB_CLIENT_VIA})" >&2
  exit 1
fi
