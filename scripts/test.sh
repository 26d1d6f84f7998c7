#!/usr/bin/env bash
# The whole test suite: setup if needed, lint, unit tests, real end-to-end tests.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
t0=$(date +%s)
bash scripts/setup.sh || exit 1
echo "[test] lint: tsc, eslint, prettier"
npx --no-install tsc --noEmit || exit 1
npx --no-install eslint . || exit 1
npx --no-install prettier --check . >/dev/null || { npx --no-install prettier --list-different .; echo "[test] prettier: files above need 'npm run format'"; exit 1; }
mkdir -p test-artifacts
echo "[test] unit and end-to-end tests"
npx --no-install jest --ci --runInBand --json --outputFile=test-artifacts/jest.json
rc=$?
node -e '
  const r = require("./test-artifacts/jest.json");
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` +
    (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' || rc=1
echo "[test] done in $(($(date +%s) - t0))s"
exit $rc
