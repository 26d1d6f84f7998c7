#!/usr/bin/env bash
# Installs the benchmark tools the tests run for real on this machine (iperf3
# between two ends over SSH, lighttpd behind ab, ...), the way a stack
# installs them on a server: held by an owner of their own, the test suite,
# so no stack's destroy ever purges them from under the tests. Run by jest's
# global setup, so the suite does not depend on what ran before it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# The packages of the benchmarks whose tools the tests run, from their modules.
PACKAGES="$(node -e '
  require("ts-node").register({ transpileOnly: true });
  const { benchmarks } = require("./benchmarks");
  const ids = ["iperf", "iperf3", "ab", "bonnie", "openssl-speed"];
  console.log([...new Set(ids.flatMap((id) => benchmarks[id].packages))].join(" "));
')"
VTB_OWNER="$(printf 'virt-testbed test suite' | sha256sum | cut -c1-32)"
export PACKAGES VTB_OWNER VTB_PACKAGE_LOCK_TIMEOUT="${VTB_PACKAGE_LOCK_TIMEOUT:-600}"
# shellcheck source=components/server/host-state.sh
source components/server/host-state.sh
missing=""
for p in $PACKAGES; do vtb_installed "$p" || missing="$missing $p"; done
if [ -z "$missing" ] && { [ "$(id -u)" -ne 0 ] || [ -f "/var/lib/virt-testbed/host/packages/$VTB_OWNER" ]; }; then exit 0; fi
[ "$(id -u)" -eq 0 ] || { echo "test-tools: not root: cannot install the tools the tests run:$missing" >&2; exit 1; }
# apt's own output to a log; waiting for its lock, and failing, are said here.
log="${VTB_CACHE:-$HOME/.cache/virt-testbed}/test-tools-apt.log"
mkdir -p "$(dirname "$log")"
exec 7>"$log"
export VTB_APT_OUT=7
echo "[test-tools] installing:${missing:- nothing, recording what the tests hold}" >&2
out="$(bash -c "$(cat components/server/host-state.sh components/server/packages-install.sh)")"
printf '%s\n' "$out" | sed 's/^/[test-tools] /' >&2
