#!/usr/bin/env bash
set -euo pipefail
rm -f "$POOL_DIR/$BASE_NAME"
virsh -q -c qemu:///system pool-refresh "$POOL" >/dev/null 2>&1 || true
echo "removed: $POOL_DIR/$BASE_NAME"
