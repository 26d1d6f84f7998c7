#!/usr/bin/env bash
# Purges the packages this owner installed (packages-install.sh) that no other
# owner on this host still needs or installed; keeps everything if purging
# them would take any other package with them.
set -euo pipefail
VTB_APT_DEADLINE=$((SECONDS + ${VTB_PACKAGE_LOCK_TIMEOUT:-600}))
vtb_host_lock "${VTB_PACKAGE_LOCK_TIMEOUT:-600}"
holds="$(vtb_holds packages)"
mine="$(printf '%s\n' "${CREATE_STDOUT:-}" | sed -n 's/^installed: *//p' | tail -n1)"
rm -f "$holds/$VTB_OWNER"
others=" $(cat "$holds"/* 2>/dev/null | sed -n 's/^\(needs\|installed\): *//p' | tr '\n' ' ') "
purge=()
kept=()
for p in $mine; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || continue
  if [[ $others == *" $p "* ]]; then kept+=("$p"); else purge+=("$p"); fi
done
[ ${#kept[@]} -eq 0 ] || echo "kept: ${kept[*]} (other stacks on this host hold them)"
[ ${#purge[@]} -gt 0 ] || exit 0
extra="$(apt-get purge -s "${purge[@]}" | sed -n 's/^Purg \([^ ]*\).*/\1/p' | grep -vxF -f <(printf '%s\n' "${purge[@]}") || true)"
if [ -n "$extra" ]; then
  echo "kept: ${purge[*]} (purging them would also remove: $(paste -sd" " <<<"$extra"))"
  exit 0
fi
vtb_apt purge -y -qq "${purge[@]}"
echo "purged: ${purge[*]}"
