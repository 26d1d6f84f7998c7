#!/usr/bin/env bash
# Idempotent, offline setup: system packages, the Pulumi CLI and its Node.js
# language host built from Go modules, the libvirt provider and its SDK, npm
# dependencies, and the Debian kernel used for guests and the boot probe.
# Builds are cached outside the checkout (VTB_CACHE), keyed by version.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

STEPS=6
step=0
t0=$(date +%s)
say() { printf '[setup %d/%d] %s\n' "$step" "$STEPS" "$*"; }
next() { step=$((step + 1)); say "$*"; }
die() { printf '[setup] ERROR: %s\n' "$*" >&2; exit 1; }
elapsed() { echo "$(($(date +%s) - t0))s"; }

mkdir -p "$VTB_CACHE"
# One setup at a time per cache: a second one waits instead of racing a build.
exec 9>"$VTB_CACHE/setup.lock"
flock -w 3600 9 || die "another setup holds $VTB_CACHE/setup.lock"

# Debian packages the local testbed needs. Package -> why.
APT_PACKAGES=(
  qemu-system-x86   # full virtualization (TCG here) and the KVM boot probe
  qemu-utils        # qemu-img for guest disks
  libvirt-daemon-system libvirt-clients  # the kvm platform
  lxc               # the container platform
  mmdebstrap        # guest and container root filesystems from Debian packages
  fdisk             # sfdisk: the partition table of an emulated server's disk
  genisoimage xsltproc  # used by the libvirt provider at run time
  passt             # guest networking forwarded on loopback only
  openssh-server    # sshd for the SSH tests, run on loopback only (never started as a service)
  openssh-client
  util-linux iproute2 procps
  chromium          # headless browser: the report's rendering test and README screenshot
)

next "preflight: tools and privileges"
command -v node >/dev/null || die "node is missing: install Node.js >= 18 (Debian: nodejs)"
node -e 'process.exit(+process.versions.node.split(".")[0] >= 18 ? 0 : 1)' ||
  die "node $(node --version) is too old: need >= 18"
command -v npm >/dev/null || die "npm is missing: install npm"
command -v flock >/dev/null || die "flock is missing: install util-linux"
say "node $(node --version), npm $(npm --version 2>/dev/null), cache $VTB_CACHE"

# Package checks and apt's lock, as a stack's steps do them.
# shellcheck source=components/server/host-state.sh
source "$VTB_ROOT/components/server/host-state.sh"
next "system packages (${#APT_PACKAGES[@]} packages)"
missing=()
for p in "${APT_PACKAGES[@]}"; do
  vtb_installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  say "all present"
else
  [ "$(id -u)" -eq 0 ] || die "not root: cannot install missing Debian packages: ${missing[*]} (run as root, or install them yourself)"
  command -v apt-get >/dev/null || die "apt-get is missing: install these packages yourself: ${missing[*]}"
  say "installing: ${missing[*]}"
  # apt's lock may be held (unattended-upgrades, an admin, a stack's step):
  # wait for it as a stack's install does, saying so (vtb_apt).
  VTB_APT_DEADLINE=$((SECONDS + ${VTB_PACKAGE_LOCK_TIMEOUT:-600}))
  exec 7>"$VTB_CACHE/apt.log"
  VTB_APT_OUT=7
  vtb_apt update -qq || die "apt-get update failed (log: $VTB_CACHE/apt.log): is the Debian mirror reachable?"
  # No daemon starts as a side effect of installing: the testbed starts what it needs itself.
  vtb_policy_place || true
  rc=0
  vtb_apt install -y -qq --no-install-recommends "${missing[@]}" || rc=$?
  vtb_policy_remove
  [ $rc -eq 0 ] || die "apt-get install failed (log: $VTB_CACHE/apt.log): ${missing[*]}"
fi

go_build_env() {
  command -v go >/dev/null || die "no Go toolchain: install Go >= 1.24 (needed once to build the Pulumi CLI; cache: $VTB_CACHE)"
  local gv
  gv="$(go env GOVERSION | sed 's/^go//')"
  [ "$(printf '%s\n1.24\n' "$gv" | sort -V | head -1)" = "1.24" ] || die "Go $gv is too old: need >= 1.24"
  # go.sum in toolchain/ pins every module hash, so the checksum database is not needed.
  export GOSUMDB=off GOFLAGS="-mod=readonly" CGO_ENABLED=0 GOTOOLCHAIN=local
}
go_download() { # dir
  (cd "$1" && go mod download 2>"$VTB_CACHE/go-download.log") || {
    tail -5 "$VTB_CACHE/go-download.log" >&2
    die "Go module download failed in $1 (GOPROXY=$(go env GOPROXY)): is the Go module proxy reachable? (log: $VTB_CACHE/go-download.log)"
  }
}

next "Pulumi CLI v$VTB_PULUMI_VERSION and its Node.js language host"
if [ "$VTB_PULUMI_BIN" != "$VTB_PULUMI_HOME_BIN" ]; then
  say "using the pulumi already on PATH: $VTB_PULUMI_BIN ($("$VTB_PULUMI_BIN/pulumi" version))"
elif [ -x "$VTB_PULUMI_BIN/pulumi" ] && [ -x "$VTB_PULUMI_BIN/pulumi-language-nodejs" ]; then
  say "cached: $VTB_PULUMI_BIN"
else
  go_build_env
  say "downloading Go modules (first run only)"
  go_download "$VTB_ROOT/toolchain/pulumi"
  tmp="$(dirname "$VTB_PULUMI_BIN").tmp.$$"
  rm -rf "$tmp" && mkdir -p "$tmp/bin"
  say "compiling pulumi and pulumi-language-nodejs (first run only; a few minutes on 2 cores)"
  (cd "$VTB_ROOT/toolchain/pulumi" && go build -trimpath -tags osusergo,grpcnotrace \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$VTB_PULUMI_VERSION" \
    -o "$tmp/bin/" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
    github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) || die "building the Pulumi CLI failed"
  # Needed for pulumi.dynamic providers; ships in the sdk module without its exec bit.
  sdkdir="$(cd "$VTB_ROOT/toolchain/pulumi" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)"
  install -m 0755 "$sdkdir/nodejs/dist/pulumi-resource-pulumi-nodejs" "$tmp/bin/"
  rm -rf "$(dirname "$VTB_PULUMI_BIN")" && mv "$tmp" "$(dirname "$VTB_PULUMI_BIN")"
  say "built $("$VTB_PULUMI_BIN/pulumi" version) in $(elapsed)"
fi
export PATH="$VTB_PULUMI_BIN:$PATH"

next "libvirt provider v$VTB_LIBVIRT_PROVIDER_VERSION and its TypeScript SDK"
if [ -x "$VTB_LIBVIRT_DIR/pulumi-resource-libvirt" ] && [ -f "$VTB_LIBVIRT_DIR/pulumi-libvirt-$VTB_LIBVIRT_PROVIDER_VERSION.tgz" ]; then
  say "cached: $VTB_LIBVIRT_DIR"
else
  go_build_env
  say "downloading Go modules (first run only)"
  go_download "$VTB_ROOT/toolchain/libvirt"
  tmp="$VTB_LIBVIRT_DIR.tmp.$$"
  rm -rf "$tmp" && mkdir -p "$tmp"
  say "compiling the bridged provider and generating its schema (first run only)"
  bash "$VTB_ROOT/toolchain/libvirt/build.sh" "$tmp" 2>&1 | tee "$VTB_CACHE/libvirt-build.log" | grep --line-buffered '^==>' ||
    die "building the libvirt provider failed (log: $VTB_CACHE/libvirt-build.log)"
  say "generating the @pulumi/libvirt TypeScript SDK from the schema"
  "$VTB_PULUMI_BIN/pulumi" package gen-sdk "$tmp/schema.json" --language nodejs --local \
    --version "$VTB_LIBVIRT_PROVIDER_VERSION" --out "$tmp/sdk" >"$tmp/gen-sdk.log" 2>&1 ||
    { tail -20 "$tmp/gen-sdk.log" >&2; die "pulumi package gen-sdk failed"; }
  bash "$VTB_ROOT/scripts/pack-sdk.sh" "$tmp/sdk/nodejs" "$tmp" "$VTB_LIBVIRT_PROVIDER_VERSION" ||
    die "compiling the @pulumi/libvirt SDK failed"
  rm -rf "$VTB_LIBVIRT_DIR" && mv "$tmp" "$VTB_LIBVIRT_DIR"
  say "built in $(elapsed)"
fi
# Registered in the plugin cache at the exact version the SDK asks for, so the
# CLI never looks for it elsewhere.
if ! pulumi plugin ls 2>/dev/null | grep -Eq "^libvirt +resource +$VTB_LIBVIRT_PROVIDER_VERSION "; then
  pulumi plugin install resource libvirt "$VTB_LIBVIRT_PROVIDER_VERSION" \
    --file "$VTB_LIBVIRT_DIR/pulumi-resource-libvirt" >/dev/null || die "registering the libvirt plugin failed"
  say "registered plugin libvirt $VTB_LIBVIRT_PROVIDER_VERSION"
fi
mkdir -p "$VTB_ROOT/.sdk"
cmp -s "$VTB_LIBVIRT_DIR/pulumi-libvirt-$VTB_LIBVIRT_PROVIDER_VERSION.tgz" "$VTB_ROOT/.sdk/pulumi-libvirt-$VTB_LIBVIRT_PROVIDER_VERSION.tgz" ||
  cp "$VTB_LIBVIRT_DIR/pulumi-libvirt-$VTB_LIBVIRT_PROVIDER_VERSION.tgz" "$VTB_ROOT/.sdk/"

next "npm dependencies"
lockhash="$(cat "$VTB_ROOT/package-lock.json" "$VTB_ROOT/.sdk/"*.tgz | sha256sum | cut -c1-16)"
if [ -f "$VTB_ROOT/node_modules/.vtb-lock" ] && [ "$(cat "$VTB_ROOT/node_modules/.vtb-lock")" = "$lockhash" ]; then
  say "up to date"
else
  say "npm ci"
  (cd "$VTB_ROOT" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed: is the npm registry reachable?"
  echo "$lockhash" >"$VTB_ROOT/node_modules/.vtb-lock"
fi

next "Debian cloud kernel for guests and the KVM boot probe"
if [ -f "$VTB_GUEST_KERNEL" ]; then
  say "cached: $(readlink -f "$VTB_GUEST_KERNEL")"
else
  kdir="$(dirname "$VTB_GUEST_KERNEL")"
  mkdir -p "$kdir" && tmp="$(mktemp -d "$kdir/.dl.XXXXXX")"
  pkg="$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}')"
  [ -n "$pkg" ] || die "cannot resolve linux-image-cloud-amd64 (run apt-get update?)"
  (cd "$tmp" && chmod 0777 . && apt-get download -q "$pkg" >/dev/null 2>&1) || die "apt-get download $pkg failed: is the Debian mirror reachable?"
  dpkg-deb -x "$tmp"/*.deb "$tmp/x"
  cp "$tmp"/x/boot/vmlinuz-* "$kdir/" && ln -sfn "$(basename "$tmp"/x/boot/vmlinuz-*)" "$VTB_GUEST_KERNEL"
  rm -rf "$tmp"
  say "kernel: $(readlink "$VTB_GUEST_KERNEL")"
fi

echo "[setup] done in $(elapsed): pulumi $("$VTB_PULUMI_BIN/pulumi" version) at $VTB_PULUMI_BIN"
