#!/usr/bin/env bash
# Removes one guest made by xen-create.sh, and the bridge if the project made
# it and no guest is left: no interface on it, no guest's config beside it.
# (after host-state.sh) Only a guest this stack claimed (or one made before claims were kept).
set -euo pipefail
dir=/var/lib/virt-testbed/xen
# Guests removed at once: one at a time, so the last one out sees it is the last.
vtb_host_lock "${VTB_PACKAGE_LOCK_TIMEOUT:-600}"
if ! vtb_mine xen "$NAME"; then
  echo "kept: $NAME (another stack's guest of the same name)"
  exit 0
fi
xl destroy "$NAME" >/dev/null 2>&1 || true
rm -f "$dir/$NAME.cfg" "$dir/$NAME.qcow2"
# Made by the project: marked (bridge.ours), or said by this guest's create (before the mark).
ours=""
[ -e "$dir/bridge.ours" ] && ours=1
printf '%s\n' "${CREATE_STDOUT:-}" | grep -q '^created: bridge:vtbxen0' && ours=1
if [ -n "$ours" ] && ! compgen -G "$dir/*.cfg" >/dev/null; then
  # The last guest's device model (HVM) may still be leaving the bridge: xl
  # destroy does not wait for it.
  for _ in $(seq 10); do
    [ -z "$(ls /sys/class/net/vtbxen0/brif 2>/dev/null)" ] && break
    sleep 1
  done
  if [ -z "$(ls /sys/class/net/vtbxen0/brif 2>/dev/null)" ]; then
    ip link del vtbxen0 2>/dev/null || true
    ip link show vtbxen0 >/dev/null 2>&1 || rm -f "$dir/bridge.ours"
  fi
fi
rmdir "$dir" 2>/dev/null || true
vtb_unclaim xen "$NAME"
echo "removed: $NAME"
