#!/usr/bin/env bash
# Build the Pulumi libvirt provider (bridging terraform-provider-libvirt v0.8.3).
# Usage: ./build.sh OUTDIR   -> OUTDIR/pulumi-resource-libvirt, OUTDIR/schema.json
set -euo pipefail

OUT="${1:?usage: $0 OUTDIR}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VERSION="0.8.3"
MODPATH="virt-testbed.local/toolchain/libvirt"
LDFLAGS="-s -w -X ${MODPATH}/provider.Version=${VERSION}"

export GOSUMDB=off CGO_ENABLED=0
mkdir -p "$OUT/.tfgen"
OUT="$(cd "$OUT" && pwd)"
cd "$HERE"

echo "==> [1/4] building pulumi-tfgen-libvirt"
go build -trimpath -ldflags "$LDFLAGS" -o "$OUT/.tfgen/pulumi-tfgen-libvirt" ./cmd/pulumi-tfgen-libvirt

echo "==> [2/4] generating schema"
UPSTREAM="$(go list -m -f '{{.Dir}}' github.com/dmacvicar/terraform-provider-libvirt)"
if [ -z "$UPSTREAM" ] || [ ! -d "$UPSTREAM/website/docs" ]; then
  go mod download github.com/dmacvicar/terraform-provider-libvirt
  UPSTREAM="$(go list -m -f '{{.Dir}}' github.com/dmacvicar/terraform-provider-libvirt)"
fi
echo "    upstream docs: $UPSTREAM"
LIBVIRT_UPSTREAM_REPO_PATH="$UPSTREAM" \
  "$OUT/.tfgen/pulumi-tfgen-libvirt" schema --out "$OUT/.tfgen/schema"
cp "$OUT/.tfgen/schema/schema.json" "$OUT/schema.json"

echo "==> [3/4] embedding schema (cmd/pulumi-resource-libvirt/schema-embed.json, gitignored)"
cp "$OUT/schema.json" "$HERE/cmd/pulumi-resource-libvirt/schema-embed.json"

echo "==> [4/4] building pulumi-resource-libvirt v${VERSION}"
go build -trimpath -ldflags "$LDFLAGS" -o "$OUT/pulumi-resource-libvirt" ./cmd/pulumi-resource-libvirt

rm -rf "$OUT/.tfgen"
echo "==> done: $OUT/pulumi-resource-libvirt $OUT/schema.json"
