#!/usr/bin/env bash
# Purges exactly the packages packages-install.sh reported in $CREATE_STDOUT.
set -euo pipefail
pkgs="$(printf '%s\n' "${CREATE_STDOUT:-}" | sed -n 's/^installed: *//p' | tail -n1)"
if [ -n "$pkgs" ]; then
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq $pkgs >&2
  echo "purged: $pkgs"
fi
