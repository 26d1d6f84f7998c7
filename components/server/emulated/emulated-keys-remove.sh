#!/usr/bin/env bash
# (after host-state.sh, emulated-common.sh) Removes what emulated-keys.sh made, if this stack made it.
set -euo pipefail
[[ $DIR =~ ^/var/lib/virt-testbed/emulated/[a-z0-9-]+$ ]] || vtb_die "bad emulated server directory: $DIR"
if ! vtb_mine emulated "$(basename "$DIR")"; then
  echo "kept: $DIR (another stack's)"
  exit 0
fi
# Its QEMU first, should the machine's own delete have missed it: the keys and
# the overlay it runs on go next.
vtb_emu_stop "$(basename "$DIR")" "$DIR"
# (Its parent stays: another stack may be making its own server in it.)
rm -rf "$DIR"
vtb_unclaim emulated "$(basename "$DIR")"
echo "removed: $DIR"
