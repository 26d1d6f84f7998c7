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
# What apt would have taken along with each package kept for that reason.
declare -A takers=()
# Keep each one that what apt would take along depends on (its closure of
# installed dependencies), and look again: one simulation per round, not one
# per package (a hypervisor's dozens of packages under TCG took minutes).
while [ ${#purge[@]} -gt 0 ]; do
  extra="$(beyond "${purge[@]}")"
  [ -n "$extra" ] || break
  # shellcheck disable=SC2086
  needed=" $(apt-cache depends --recurse --installed --no-recommends --no-suggests --no-conflicts \
    --no-breaks --no-replaces --no-enhances $extra 2>/dev/null | sed -n 's/^\([a-z0-9][^ ]*\)$/\1/p' | tr '\n' ' ' || true) "
  ok=()
  for p in "${purge[@]}"; do
    if [[ $needed == *" $p "* ]]; then
      echo "kept: $p (purging it would also remove: $(paste -sd' ' <<<"$extra"))"
      kept+=("$p")
      takers[$p]="$extra"
    else
      ok+=("$p")
    fi
  done
  # Nothing found to keep, yet apt would take more: keep them all.
  if [ ${#ok[@]} -eq ${#purge[@]} ]; then
    for p in "${purge[@]}"; do
      echo "kept: $p (purging them would also remove: $(paste -sd' ' <<<"$extra"))"
      takers[$p]="$extra"
    done
    kept+=("${purge[@]}")
    purge=()
  else
    purge=("${ok[@]}")
  fi
done
# Each kept package goes to an owner that needs it, else to one that holds
# what depends on it, else to any owner: the last one to leave purges it, if
# no one needs it by then.
holder() { # $1: space-separated packages; the first owner whose record names one of them
  find "$holds" -mindepth 1 -maxdepth 1 -type f | sort | xargs awk -v want=" $1 " '
    /^(needs|installed):/ { for (i = 2; i <= NF; i++) if (index(want, " " $i " ")) { print FILENAME; exit } }'
}
for p in "${kept[@]}"; do
  to=""
  if [ -n "$heir" ]; then
    to="$(find "$holds" -mindepth 1 -maxdepth 1 -type f | sort |
      xargs awk -v p="$p" '/^needs:/ { for (i = 2; i <= NF; i++) if ($i == p) { print FILENAME; exit } }')"
    [ -n "$to" ] || [ -z "${takers[$p]:-}" ] || to="$(holder "$(paste -sd' ' <<<"${takers[$p]}")")"
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
