#!/usr/bin/env bash
# Removes one guest made by xen-create.sh, and the bridge if that run made it and no guest is left on it.
set -euo pipefail
dir=/var/lib/virt-testbed/xen
xl destroy "$NAME" >/dev/null 2>&1 || true
rm -f "$dir/$NAME.cfg" "$dir/$NAME.qcow2"
rmdir "$dir" 2>/dev/null || true
if printf '%s\n' "${CREATE_STDOUT:-}" | grep -q '^created: bridge:vtbxen0' && [ -z "$(ls /sys/class/net/vtbxen0/brif 2>/dev/null)" ]; then
  ip link del vtbxen0 || true
fi
echo "removed: $NAME"
