#!/usr/bin/env bash
# (after host-state.sh) Only a container this stack claimed (or one made before claims were kept).
set -euo pipefail
if ! vtb_mine openvz "$CTID"; then
  echo "kept: $CTID (another stack's container)"
  exit 0
fi
vzctl stop "$CTID" --fast >/dev/null 2>&1 || true
vzctl destroy "$CTID" >&2 || true
vtb_unclaim openvz "$CTID"
echo "removed: $CTID"
