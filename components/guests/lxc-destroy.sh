#!/usr/bin/env bash
# Stops and removes one container made by lxc-create.sh, its veth and its namespace.
set -euo pipefail
ct="$LXCPATH/$NAME"
if [ -f "$ct/config" ]; then
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
echo "removed: $NAME"
