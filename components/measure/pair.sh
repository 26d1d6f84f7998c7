#!/usr/bin/env bash
# On the physical server: starts the benchmark's server inside the target,
# runs the client's trials from this side (in the container's network
# namespace for a container, to the VM's loopback forward for a VM), then
# stops the server. One step, so server and client always run together.
set -euo pipefail
cd /
keyfile=""
pid=""
in_target() {
  case "$VTB_PAIR_VIA" in
    host) bash -s ;;
    lxc) lxc-attach -P "$VTB_LXCPATH" -n "$VTB_LXC" -- bash -s ;;
    openvz) vzctl exec "$VTB_CTID" - ;;
    ssh)
      ssh -q -i "$keyfile" -p "$VTB_SSH_PORT" -o BatchMode=yes -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "root@$VTB_SSH_HOST" bash -s ;;
    *) echo "unknown way into the target: $VTB_PAIR_VIA" >&2; return 2 ;;
  esac
}
cleanup() {
  if [ -n "$pid" ]; then printf 'kill %s 2>/dev/null || true\n' "$pid" | in_target >/dev/null 2>&1 || true; fi
  if [ -n "$keyfile" ]; then rm -f "$keyfile"; fi
}
trap cleanup EXIT
if [ "$VTB_PAIR_VIA" = ssh ]; then
  keyfile="$(mktemp)"
  chmod 600 "$keyfile"
  printf '%s\n' "$VTB_SSH_KEY" >"$keyfile"
fi
pid="$({ printf '%s' "$VTB_SERVER_EXPORTS"; printf '%s\n' "$VTB_SERVER_SCRIPT"; } | in_target)"
if ! [[ "$pid" =~ ^[0-9]+$ ]]; then
  echo "the server did not start in the target (printed: ${pid:-nothing})" >&2
  pid=""
  exit 1
fi
if [ "$VTB_PAIR_VIA" = lxc ]; then
  ip netns exec "$VTB_NETNS" bash -c "$VTB_RUNNER"
else
  bash -c "$VTB_RUNNER"
fi
