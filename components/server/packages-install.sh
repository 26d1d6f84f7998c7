#!/usr/bin/env bash
# Installs the Debian packages named in $PACKAGES that are missing and prints
# every package that is new afterwards (dependencies included) as
# "installed: ...", so packages-remove.sh can purge exactly those.
set -euo pipefail
list() { dpkg-query -W -f='${Package} ${Status}\n' 2>/dev/null | awk '$4 == "installed" { print $1 }' | sort; }
missing=()
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
new=""
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || { echo "apt-get not found: install ${missing[*]} by hand" >&2; exit 1; }
  before="$(mktemp)"; list >"$before"
  # Installing must not start daemons: the platform starts what it needs.
  placed=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; placed=1; fi
  rc=0
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >&2 || rc=$?
  if [ "$placed" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
  [ $rc -eq 0 ] || { echo "apt-get install ${missing[*]} failed" >&2; exit $rc; }
  new="$(list | comm -13 "$before" - | tr '\n' ' ')"
  rm -f "$before"
fi
echo "installed: ${new% }"
