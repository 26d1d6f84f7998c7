#!/usr/bin/env bash
# Stops the daemons libvirtd.sh started (listed in $CREATE_STDOUT), nothing else.
set -euo pipefail
started="$(printf '%s\n' "${CREATE_STDOUT:-}" | sed -n 's/^started: *//p' | tail -n1)"
# Other stacks on this host may still have guests here (ours are deleted before
# this step): then the daemon stays for them.
others="$(virsh -q -c qemu:///system list --all --name 2>/dev/null | tr '\n' ' ' | sed 's/ *$//' || true)"
if [ -n "$started" ] && [ -n "$others" ]; then
  echo "kept: $started (domains still defined: $others)"
  exit 0
fi
for d in $started; do
  case "$d" in
    systemd:*) systemctl stop "${d#systemd:}" ;;
    libvirtd | virtlogd)
      pids="$(pidof "$d" || true)"
      if [ -n "$pids" ]; then
        # shellcheck disable=SC2086
        kill $pids
        for _ in $(seq 1 50); do pidof "$d" >/dev/null || break; sleep 0.2; done
      fi
      ;;
  esac
  echo "stopped: $d"
done
