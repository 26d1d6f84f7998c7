#!/usr/bin/env bash
# The project's Pulumi CLI with the embedded defaults of scripts/env.sh.
set -euo pipefail
# shellcheck source=scripts/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
if [ ! -x "$VTB_PULUMI_BIN/pulumi" ]; then
  echo "pulumi.sh: the Pulumi CLI is not built yet ($VTB_PULUMI_BIN/pulumi); run: npm run setup" >&2
  exit 1
fi
case "$PULUMI_BACKEND_URL" in file://*) mkdir -p "${PULUMI_BACKEND_URL#file://}" ;; esac
cd "$VTB_ROOT"
case "${1:-}" in
  up | update | preview | destroy | refresh)
    # A pulumi killed mid-update (SIGKILL, a lost session) leaves its lock in a
    # file backend, and every later update is refused; drop locks whose process
    # is gone from this host. A live one still refuses a second update.
    if [[ $PULUMI_BACKEND_URL == file://* ]] && [ -d "${PULUMI_BACKEND_URL#file://}/.pulumi/locks" ]; then
      while IFS= read -r -d '' lock; do
        pid="$(sed -n 's/.*"pid": *\([0-9][0-9]*\).*/\1/p' "$lock")"
        host="$(sed -n 's/.*"hostname": *"\([^"]*\)".*/\1/p' "$lock")"
        if [ -n "$pid" ] && [ "$host" = "$(uname -n)" ] && ! kill -0 "$pid" 2>/dev/null; then
          rm -f "$lock"
          echo "pulumi.sh: removed the lock of pulumi pid $pid, which is no longer running: $lock" >&2
        fi
      done < <(find "${PULUMI_BACKEND_URL#file://}/.pulumi/locks" -name '*.json' -print0)
    fi
    # The libvirt provider connects to libvirtd as soon as it loads, even to delete.
    # A host without systemd (a container, like the machines this project is built
    # on) loses the daemon when it restarts, so bring it back for a state that has
    # libvirt objects.
    if [[ $PULUMI_BACKEND_URL == file://* ]] && command -v libvirtd >/dev/null &&
      grep -rqs --include='*.json' '"type": "libvirt:' "${PULUMI_BACKEND_URL#file://}/.pulumi/stacks" &&
      ! virsh -c qemu:///system version >/dev/null 2>&1; then
      echo "pulumi.sh: the state holds libvirt objects and libvirtd does not answer; starting it" >&2
      # shellcheck source=components/server/host-state.sh
      source "$VTB_ROOT/components/server/host-state.sh"
      (vtb_libvirtd_up >/dev/null) ||
        echo "pulumi.sh: could not start libvirtd; libvirt steps will fail to connect" >&2
    fi
    ;;
esac
# The engine and the provider plugins (Go) collect at half their default heap
# growth: at 64 servers 0.1 GiB less (npm run bench:scale). A GOGC set is kept.
export GOGC="${GOGC:-50}"
# Nothing the CLI starts outlives it: everything it starts inherits this mark,
# and reap.sh stops what is still running once the CLI (this pid, after the
# exec) is gone. Detached, so a signal to our process group does not reach it.
VTB_PULUMI_SESSION="$$.$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
export VTB_PULUMI_SESSION
mkdir -p "$VTB_CACHE/logs"
setsid bash "$VTB_ROOT/scripts/reap.sh" "$$" "$VTB_PULUMI_SESSION" </dev/null >>"$VTB_CACHE/logs/reap.log" 2>&1 &
exec "$VTB_PULUMI_BIN/pulumi" "$@"
