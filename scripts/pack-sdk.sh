#!/usr/bin/env bash
# Compiles a TypeScript SDK made by `pulumi package gen-sdk` and packs it as a
# tarball for package.json to reference (file:.sdk/...). The compiler and the
# Pulumi SDK are pinned, so the same schema always packs to the same bytes and
# package-lock.json's integrity hash holds on every machine.
# Usage: pack-sdk.sh SDK_DIR OUT_DIR VERSION
set -euo pipefail
src="${1:?sdk dir}" out="${2:?out dir}" version="${3:?version}"
out="$(cd "$out" && pwd)"
cd "$src"
# The generated package compiles itself in a postinstall hook; we compile here instead.
node -e '
  const fs = require("fs");
  const p = JSON.parse(fs.readFileSync("package.json", "utf8"));
  p.version = process.argv[1];
  p.pulumi.version = process.argv[1];
  delete p.scripts;
  p.dependencies = { "@pulumi/pulumi": "^3.142.0" };
  p.devDependencies = { "@pulumi/pulumi": "3.163.0", "typescript": "5.9.3", "@types/node": "20.19.43" };
  fs.writeFileSync("package.json", JSON.stringify(p, null, 4) + "\n");
' "$version"
# gen-sdk (v3.163.0, built with Go 1.26) writes root-relative imports into the
# config/ and types/ subfolders; point them one level up.
sed -i -e 's#from "\./utilities"#from "../utilities"#' -e 's#from "\./types/\(input\|output\)"#from "../types/\1"#' \
  config/*.ts types/*.ts
npm install --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null
npx --no-install tsc
node -e '
  const fs = require("fs");
  const p = JSON.parse(fs.readFileSync("package.json", "utf8"));
  delete p.devDependencies;
  p.main = "index.js";
  p.types = "index.d.ts";
  fs.writeFileSync("bin/package.json", JSON.stringify(p, null, 4) + "\n");
'
cp README.md bin/ 2>/dev/null || true
(cd bin && npm pack --pack-destination "$out" --loglevel=error >/dev/null)
ls "$out"/*.tgz
