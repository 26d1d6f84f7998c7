#!/usr/bin/env bash
# (after host-state.sh, emulated-common.sh) Ends the QEMU of one emulated
# server (only ours, by its name on the command line) and removes its overlay
# and console log.
set -euo pipefail
[[ $DIR =~ ^/var/lib/virt-testbed/emulated/[a-z0-9-]+$ ]] || vtb_die "bad emulated server directory: $DIR"
vtb_mine emulated "$(basename "$DIR")" || { echo "kept: $DIR (another stack's)"; exit 0; }
vtb_emu_stop "$NAME" "$DIR"
rm -f "$DIR/qemu.pid" "$DIR/disk.qcow2" "$DIR/console.log" "$DIR/known_hosts" "$DIR/lab.sock"
echo "stopped: vtb-emu-$NAME"
