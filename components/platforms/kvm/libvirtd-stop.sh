#!/usr/bin/env bash
# Drops this owner's use of libvirtd (libvirtd.sh); once no owner uses it and
# no domain is defined (an admin's, say), stops the daemons a step of ours
# started, nothing else.
set -euo pipefail
vtb_host_lock "${VTB_PACKAGE_LOCK_TIMEOUT:-600}"
holds="$(vtb_holds libvirtd)"
rm -f "$holds/$VTB_OWNER"
users="$(find "$holds" -mindepth 1 -maxdepth 1 -type f ! -name .started -printf '%f ' )"
started="$(tr '\n' ' ' <"$holds/.started" 2>/dev/null || true)"
started="$(printf '%s\n' "${CREATE_STDOUT:-}" | sed -n 's/^started: *//p' | tail -n1) $started"
if [ -n "$users" ]; then
  echo "kept: libvirtd ($(wc -w <<<"$users") other users on this host)"
  exit 0
fi
others="$(virsh -q -c qemu:///system list --all --name 2>/dev/null | tr '\n' ' ' | sed 's/ *$//' || true)"
if [ -n "${started// /}" ] && [ -n "$others" ]; then
  echo "kept: $started (domains still defined: $others)"
  exit 0
fi
rm -f "$holds/.started"
for d in $(tr ' ' '\n' <<<"$started" | sort -u); do
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
