#!/usr/bin/env bash
# One trial of `openssl speed`: prints `openssl version`, then the output of one
# `openssl speed` run per configured algorithm, as "@@@ <section>" blocks for
# opensslSpeed.parse (openssl-speed.ts). Progress goes to stderr, as openssl prints it.
#
# Parameters (environment, validated by openssl-speed.ts before they get here):
#   VTB_OPENSSL_CIPHERS     ciphers and digests, space-separated (e.g. "aes-128-cbc sha256")
#   VTB_OPENSSL_PUBLIC_KEY  public-key algorithms, space-separated (e.g. "rsa2048"), may be empty
#   VTB_OPENSSL_SECONDS     seconds per test (needs OpenSSL >= 1.1.1 for -seconds)
#
# -elapsed: openssl speed divides by the process's user CPU time by default. Under a
# CPU quota (a container's cgroup cpu.max, a VM's vCPU cap) the throttled time is not
# CPU time, so the quota would not show at all; wall-clock time makes it show.
# -evp: ciphers and digests go through the EVP interface, the one applications use and
# the one that picks hardware implementations (AES-NI and the like); the older
# low-level code paths are deprecated in OpenSSL 3 and many algorithms (GCM,
# ChaCha20-Poly1305, SHA-3) exist only through EVP. Public-key algorithms take no -evp.
set -euo pipefail
export LC_ALL=C

seconds=${VTB_OPENSSL_SECONDS:?VTB_OPENSSL_SECONDS is required}
[[ $seconds =~ ^[1-9][0-9]{0,3}$ ]] || { echo "openssl-speed: bad seconds: $seconds" >&2; exit 2; }
read -r -a ciphers <<<"${VTB_OPENSSL_CIPHERS:-}"
read -r -a public_key <<<"${VTB_OPENSSL_PUBLIC_KEY:-}"
for alg in "${ciphers[@]}" "${public_key[@]}"; do
  [[ $alg =~ ^[a-z0-9-]+$ ]] || { echo "openssl-speed: bad algorithm: $alg" >&2; exit 2; }
done

section() { printf '@@@ %s\n' "$*"; }

section version
openssl version
for alg in "${ciphers[@]}"; do
  section evp "$alg"
  openssl speed -elapsed -seconds "$seconds" -evp "$alg"
done
for alg in "${public_key[@]}"; do
  section pk "$alg"
  openssl speed -elapsed -seconds "$seconds" "$alg"
done
section end
