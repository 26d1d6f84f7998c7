#!/usr/bin/env bash
# Purges the packages this owner installed (packages-install.sh, or handed to
# it by an owner that left before it) that no other owner on this host still
# needs. What another owner needs is handed to that owner instead, so the last
# one to leave purges it. Keeps each package whose purge would take another
# package with it (say, one an admin installed that depends on it).
set -euo pipefail
VTB_APT_DEADLINE=$((SECONDS + ${VTB_PACKAGE_LOCK_TIMEOUT:-600}))
vtb_host_lock "${VTB_PACKAGE_LOCK_TIMEOUT:-600}"
holds="$(vtb_holds packages)"
field() { sed -n "s/^$1: *//p" "${@:2}" | tr '\n' ' '; }
mine=" $(printf '%s\n' "${CREATE_STDOUT:-}" | field installed) $(field installed "$holds/$VTB_OWNER" 2>/dev/null || true) "
rm -f "$holds/$VTB_OWNER"
heir="$(find "$holds" -mindepth 1 -maxdepth 1 -type f -printf '%f\n' | sort | head -n1)"
others=" $(if [ -n "$heir" ]; then cat "$holds"/*; fi | sed -n 's/^\(needs\|installed\): *//p' | tr '\n' ' ') "
purge=()
kept=()
for p in $(tr ' ' '\n' <<<"$mine" | sed '/^$/d' | sort -u); do
  vtb_installed "$p" || continue
  if [[ $others == *" $p "* ]]; then kept+=("$p"); else purge+=("$p"); fi
done
# What apt would remove with them beyond them (say, a package another owner
# needs that depends on one of them).
beyond() { apt-get purge -s "$@" | sed -n 's/^Purg \([^ ]*\).*/\1/p' | grep -vxF -f <(printf '%s\n' "${purge[@]}") || true; }
if [ ${#purge[@]} -gt 0 ] && [ -n "$(beyond "${purge[@]}")" ]; then
  # Keep each one that takes another package with it; purge the rest.
  ok=()
  for p in "${purge[@]}"; do
    extra="$(beyond "$p")"
    if [ -n "$extra" ]; then
      echo "kept: $p (purging it would also remove: $(paste -sd' ' <<<"$extra"))"
      kept+=("$p")
    else
      ok+=("$p")
    fi
  done
  purge=("${ok[@]}")
  [ ${#purge[@]} -eq 0 ] || [ -z "$(beyond "${purge[@]}")" ] || { kept+=("${purge[@]}"); purge=(); }
fi
# Each kept package goes to an owner that needs it (else to any owner): the
# last one to leave purges it, if no one needs it by then.
for p in "${kept[@]}"; do
  to=""
  if [ -n "$heir" ]; then
    to="$(find "$holds" -mindepth 1 -maxdepth 1 -type f | sort |
      xargs awk -v p="$p" '/^needs:/ { for (i = 2; i <= NF; i++) if ($i == p) { print FILENAME; exit } }')"
    to="${to:-$holds/$heir}"
  fi
  if [ -n "$to" ]; then
    sed -i "s/^installed:.*/& $p/" "$to"
    echo "kept: $p (held on this host by another owner, which purges it when it leaves)"
  else
    echo "kept: $p"
  fi
done
[ ${#purge[@]} -gt 0 ] || exit 0
vtb_apt purge -y -qq "${purge[@]}"
echo "purged: ${purge[*]}"
