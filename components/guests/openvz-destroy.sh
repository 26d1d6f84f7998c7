#!/usr/bin/env bash
set -euo pipefail
vzctl stop "$CTID" --fast >/dev/null 2>&1 || true
vzctl destroy "$CTID" >&2 || true
echo "removed: $CTID"
