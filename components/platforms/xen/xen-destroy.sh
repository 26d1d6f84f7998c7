#!/usr/bin/env bash
# Removes one guest made by xen-create.sh, and the bridge if that run made it and no guest is left on it.
# (after host-state.sh) Only a guest this stack claimed (or one made before claims were kept).
set -euo pipefail
dir=/var/lib/virt-testbed/xen
if ! vtb_mine xen "$NAME"; then
  echo "kept: $NAME (another stack's guest of the same name)"
  exit 0
fi
xl destroy "$NAME" >/dev/null 2>&1 || true
rm -f "$dir/$NAME.cfg" "$dir/$NAME.qcow2"
rmdir "$dir" 2>/dev/null || true
if printf '%s\n' "${CREATE_STDOUT:-}" | grep -q '^created: bridge:vtbxen0' && [ -z "$(ls /sys/class/net/vtbxen0/brif 2>/dev/null)" ]; then
  ip link del vtbxen0 || true
fi
vtb_unclaim xen "$NAME"
echo "removed: $NAME"
