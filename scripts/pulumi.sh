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
exec "$VTB_PULUMI_BIN/pulumi" "$@"
