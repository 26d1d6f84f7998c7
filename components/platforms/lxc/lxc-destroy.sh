#!/usr/bin/env bash
# Stops and removes one container made by lxc-create.sh, its veth and its namespace.
# (after host-state.sh) Only a container this stack claimed (or one made
# before claims were kept): another stack's of the same name is left alone.
set -euo pipefail
ct="$LXCPATH/$NAME"
if ! vtb_mine lxc "$NAME"; then
  echo "kept: $NAME (another stack's container of the same name)"
  exit 0
fi
if [ -f "$ct/config" ]; then
  # A container frozen by a measurement killed before it could thaw it (interleave.sh).
  lxc-unfreeze -P "$LXCPATH" -n "$NAME" >/dev/null 2>&1 || true
  lxc-stop -P "$LXCPATH" -n "$NAME" -k >/dev/null 2>&1 || true
  lxc-destroy -P "$LXCPATH" -n "$NAME" >&2
fi
ip link del "$VETH_CT" 2>/dev/null || true
ip netns del "$NETNS" 2>/dev/null || true
rm -rf "$ct"
# LXC leaves an empty lxc.pivot cgroup behind once no container of it is left.
for h in /sys/fs/cgroup/*/; do
  if [ -d "$h/lxc.pivot" ] && ! ls -d "$h"lxc.payload.* >/dev/null 2>&1; then rmdir "$h/lxc.pivot" 2>/dev/null || true; fi
done
vtb_unclaim lxc "$NAME"
echo "removed: $NAME"
