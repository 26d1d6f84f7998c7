#!/usr/bin/env bash
# Creates and starts one OpenVZ container with vzctl, with CPU units and a
# memory limit, on venet with a private address. Env: CTID NAME TEMPLATE CPU_UNITS [CPUS] [MEM_MIB] CT_IP
set -euo pipefail
# (after host-state.sh) Ours from an interrupted run goes first; another's is refused.
vtb_claim openvz "$CTID" "$(vzctl status "$CTID" 2>/dev/null | grep -qw exist && echo exists)"
vzctl stop "$CTID" --fast >/dev/null 2>&1 || true
vzctl destroy "$CTID" >/dev/null 2>&1 || true
vzctl create "$CTID" --ostemplate "$TEMPLATE" --hostname "$NAME" >&2
vzctl set "$CTID" --cpuunits "$CPU_UNITS" --ipadd "$CT_IP" --save >&2
[ -n "${CPUS:-}" ] && vzctl set "$CTID" --cpus "$CPUS" --save >&2
[ -n "${MEM_MIB:-}" ] && vzctl set "$CTID" --ram "${MEM_MIB}M" --swap 0 --save >&2
vzctl start "$CTID" >&2
vzctl exec "$CTID" true
echo "ctid: $CTID"
echo "address: $CT_IP"
