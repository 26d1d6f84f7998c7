#!/usr/bin/env bash
# (after host-state.sh) The keys of one emulated server, made on the Pulumi
# host in a directory only root reads: root's client key (printed, the step's
# stdout is a secret), the server's host key (its public half printed and
# pinned in known_hosts), and the seed ISO the server reads them from at boot.
# Env: DIR (/var/lib/virt-testbed/emulated/<name>), VTB_OWNER, LAB_ADDRESS and
# LAB_MAC (optional: its end of a link to another emulated server).
set -euo pipefail
vtb_require_owner
vtb_base_dir
vtb_owned_dir /var/lib/virt-testbed/emulated 0700
[[ $DIR =~ ^/var/lib/virt-testbed/emulated/[a-z0-9-]+$ ]] || vtb_die "bad emulated server directory: $DIR"
vtb_claim emulated "$(basename "$DIR")" "$([ -e "$DIR" ] && echo exists)"
rm -rf "$DIR"
vtb_owned_dir "$DIR" 0700
mkdir -m 700 "$DIR/seed"
ssh-keygen -q -t ed25519 -N '' -C "vtb-emulated-$(basename "$DIR")" -f "$DIR/id_ed25519"
ssh-keygen -q -t ed25519 -N '' -C "vtb-emulated-$(basename "$DIR")" -f "$DIR/seed/ssh_host_ed25519_key"
cp "$DIR/id_ed25519.pub" "$DIR/seed/authorized_keys"
# One end of a private link to another emulated server (connection.jump): its
# address on the NIC with this MAC, set before the network starts.
if [ -n "${LAB_ADDRESS:-}" ]; then
  [[ $LAB_ADDRESS =~ ^10\.223\.0\.[12]$ && $LAB_MAC =~ ^52:54:00:df:00:0[12]$ ]] ||
    vtb_die "bad link address or MAC: $LAB_ADDRESS $LAB_MAC"
  printf '[Match]\nMACAddress=%s\n\n[Network]\nAddress=%s/24\nLinkLocalAddressing=no\n' \
    "$LAB_MAC" "$LAB_ADDRESS" >"$DIR/seed/lab.network"
fi
genisoimage -quiet -V VTBSEED -r -o "$DIR/seed.iso" "$DIR/seed"
# The ISO holds the host's private key: readable by root only, as the directory.
chmod 600 "$DIR/seed.iso"
cat "$DIR/id_ed25519"
echo "@@@"
cut -d' ' -f1,2 "$DIR/seed/ssh_host_ed25519_key.pub" | tee "$DIR/host_key.pub"
rm -rf "$DIR/seed"
