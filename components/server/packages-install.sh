#!/usr/bin/env bash
# Installs the Debian packages named in $PACKAGES that are missing, records
# them as held by $VTB_OWNER (host-state.sh, prepended), and prints those it
# installed itself (dependencies included) as "installed: ...": only these
# are ever purged again, and only once no other owner holds them.
set -euo pipefail
VTB_APT_DEADLINE=$((SECONDS + ${VTB_PACKAGE_LOCK_TIMEOUT:-600}))
vtb_host_lock "${VTB_PACKAGE_LOCK_TIMEOUT:-600}"
holds="$(vtb_holds packages)"
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
missing=()
for p in $PACKAGES; do installed "$p" || missing+=("$p"); done
new=""
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || vtb_die "apt-get not found: install ${missing[*]} by hand"
  vtb_apt update -qq || vtb_die "apt-get update failed"
  # What apt itself would install: nothing else is ever counted as ours, even
  # if an admin installs something else meanwhile.
  plan="$(apt-get install -s --no-install-recommends "${missing[@]}" | sed -n 's/^Inst \([^ ]*\).*/\1/p')" ||
    vtb_die "apt-get cannot install ${missing[*]}"
  # Installing must not start daemons: the platform starts what it needs.
  placed=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && placed=1; fi
  rc=0
  vtb_apt install -y -qq --no-install-recommends "${missing[@]}" || rc=$?
  if [ "$placed" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
  [ $rc -eq 0 ] || vtb_die "apt-get install ${missing[*]} failed (exit $rc)"
  for p in $plan; do installed "$p" && new="$new $p"; done
fi
printf 'needs: %s\ninstalled: %s\n' "$PACKAGES" "${new# }" >"$holds/$VTB_OWNER"
echo "installed: ${new# }"
