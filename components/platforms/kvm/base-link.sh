#!/usr/bin/env bash
# Puts the cached image's disk into the stack's libvirt pool as the base of
# every guest disk (a hard link: no copy; a copy across filesystems), then
# refreshes the pool so libvirt sees it. Delete removes exactly that file.
set -euo pipefail
dst="$POOL_DIR/$BASE_NAME"
ln -f "$IMAGE_DISK" "$dst" 2>/dev/null || cp --sparse=always "$IMAGE_DISK" "$dst"
virsh -q -c qemu:///system pool-refresh "$POOL" >/dev/null
echo "base: $dst"
