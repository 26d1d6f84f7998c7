#!/usr/bin/env bash
# The project's embedded defaults for the Pulumi CLI: a local file backend
# inside the project, an empty passphrase, no update checks, no plugin
# downloads, and the cached toolchain on PATH. Values the user already set win.
#
#   source scripts/env.sh      # then plain `pulumi up` works in this shell
#   bash scripts/env.sh --print  # prints the export lines instead

VTB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VTB_CACHE="${VTB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/virt-testbed}"
VTB_PULUMI_VERSION="3.163.0"
VTB_LIBVIRT_PROVIDER_VERSION="0.8.3"

# The build directory is keyed by version and by the wrapper module's go.sum,
# so a change of pins never reuses a stale binary.
vtb_key() { cat "$@" | sha256sum | cut -c1-12; }
VTB_PULUMI_HOME_BIN="$VTB_CACHE/toolchain/pulumi-v$VTB_PULUMI_VERSION-$(vtb_key "$VTB_ROOT/toolchain/pulumi/go.mod" "$VTB_ROOT/toolchain/pulumi/go.sum")/bin"
VTB_LIBVIRT_DIR="$VTB_CACHE/toolchain/libvirt-v$VTB_LIBVIRT_PROVIDER_VERSION-$(cd "$VTB_ROOT" && vtb_key toolchain/libvirt/go.mod toolchain/libvirt/go.sum toolchain/libvirt/build.sh toolchain/libvirt/provider/*.go toolchain/libvirt/cmd/*/main.go scripts/pack-sdk.sh toolchain/pulumi/go.sum)"
VTB_GUEST_KERNEL="${VTB_GUEST_KERNEL:-$VTB_CACHE/guest-kernel/vmlinuz}"

# A pulumi of at least our version with its Node.js language host beside it is
# used as it is; otherwise ours from the cache.
vtb_suitable_pulumi() {
  local p v
  p="$(command -v pulumi 2>/dev/null)" || return 1
  [ "$(dirname "$p")" = "$VTB_PULUMI_HOME_BIN" ] && return 1
  [ -x "$(dirname "$p")/pulumi-language-nodejs" ] || return 1
  v="$("$p" version 2>/dev/null | sed 's/^v//')" || return 1
  [ "$(printf '%s\n%s\n' "$VTB_PULUMI_VERSION" "$v" | sort -V | head -1)" = "$VTB_PULUMI_VERSION" ]
}
if vtb_suitable_pulumi; then
  VTB_PULUMI_BIN="$(dirname "$(command -v pulumi)")"
else
  VTB_PULUMI_BIN="$VTB_PULUMI_HOME_BIN"
  case ":$PATH:" in *":$VTB_PULUMI_BIN:"*) ;; *) PATH="$VTB_PULUMI_BIN:$PATH" ;; esac
fi

export VTB_ROOT VTB_CACHE VTB_PULUMI_VERSION VTB_PULUMI_BIN VTB_LIBVIRT_DIR VTB_GUEST_KERNEL PATH
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$VTB_ROOT/.pulumi-state}"
if [ -z "${PULUMI_CONFIG_PASSPHRASE+set}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  export PULUMI_CONFIG_PASSPHRASE=""
fi
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# The program is type-checked by `npm run lint` (tsc); type-checking it again at
# every run cost 10-13 s of each `pulumi up` and preview (npm run bench:scale).
export PULUMI_NODEJS_TRANSPILE_ONLY="${PULUMI_NODEJS_TRANSPILE_ONLY:-true}"

if [ "${1:-}" = "--print" ]; then
  for v in PATH PULUMI_BACKEND_URL PULUMI_SKIP_UPDATE_CHECK PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION PULUMI_NODEJS_TRANSPILE_ONLY VTB_CACHE VTB_GUEST_KERNEL; do
    printf 'export %s=%q\n' "$v" "${!v}"
  done
  [ -n "${PULUMI_CONFIG_PASSPHRASE+set}" ] && printf 'export PULUMI_CONFIG_PASSPHRASE=%q\n' "$PULUMI_CONFIG_PASSPHRASE"
fi
