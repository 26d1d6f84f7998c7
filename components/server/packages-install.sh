#!/usr/bin/env bash
# Installs the Debian packages named in $PACKAGES that are missing, records
# them as held by $VTB_OWNER (host-state.sh, prepended), and prints those it
# installed itself (dependencies included) as "installed: ...": only these
# are ever purged again, and only once no other owner holds them.
set -euo pipefail
VTB_APT_DEADLINE=$((SECONDS + ${VTB_PACKAGE_LOCK_TIMEOUT:-600}))
vtb_host_lock "${VTB_PACKAGE_LOCK_TIMEOUT:-600}"
holds="$(vtb_holds packages)"
missing=()
for p in $PACKAGES; do vtb_installed "$p" || missing+=("$p"); done
new=""
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || vtb_die "apt-get not found: install ${missing[*]} by hand"
  vtb_apt update -qq || vtb_die "apt-get update failed"
  # What apt itself would install: nothing else is ever counted as ours, even
  # if an admin installs something else meanwhile.
  plan="$(apt-get install -s --no-install-recommends "${missing[@]}" | sed -n 's/^Inst \([^ ]*\).*/\1/p')" ||
    vtb_die "apt-get cannot install ${missing[*]}"
  vtb_policy_place || true
  trap vtb_policy_remove EXIT
  # A run killed in the middle of dpkg leaves it waiting to be finished.
  if [ -n "$(dpkg --audit 2>/dev/null)" ]; then
    echo "dpkg was interrupted (a killed install?): finishing it first" >&2
    DEBIAN_FRONTEND=noninteractive dpkg --configure -a </dev/null >&2 8>&- || true
  fi
  rc=0
  vtb_apt install -y -qq --no-install-recommends "${missing[@]}" || rc=$?
  vtb_policy_remove
  [ $rc -eq 0 ] || vtb_die "apt-get install ${missing[*]} failed (exit $rc)"
  for p in $plan; do vtb_installed "$p" && new="$new $p"; done
fi
# A create run again without its delete (the engine died before recording
# it) keeps what this owner held already, handed-over packages included.
old="$(sed -n 's/^installed: *//p' "$holds/$VTB_OWNER" 2>/dev/null || true)"
all="$(printf '%s\n' $old $new | sed '/^$/d' | sort -u | paste -sd' ')"
printf 'needs: %s\ninstalled: %s\n' "$PACKAGES" "$all" >"$holds/$VTB_OWNER"
echo "installed: ${new# }"
