#!/usr/bin/env bash
# On the server: hands the runner and its VTB_/BENCH_ environment to a shell
# inside the container, quoted with printf %q so no value is re-parsed.
set -euo pipefail
cd /
{
  for v in $(compgen -e); do
    case "$v" in VTB_* | BENCH_*) printf 'export %s=%q\n' "$v" "${!v}" ;; esac
  done
  printf '%s\n' "$VTB_RUNNER"
} | case "$VTB_ENTER" in
  lxc) lxc-attach -P "$VTB_LXCPATH" -n "$VTB_LXC" -- bash -s ;;
  openvz) vzctl exec "$VTB_CTID" - ;;
  *) echo "unknown way into the target: $VTB_ENTER" >&2; exit 2 ;;
esac
