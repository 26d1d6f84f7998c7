# (after safe-dir.sh) One trial of bonnie++: prints what is known of its version
# as "# " lines, then the CSV line that `bonnie++ -q` writes to stdout, for
# bonnie.parse (bonnie.ts). The human-readable report goes to stderr, as bonnie++
# prints it.
#
# Parameters (environment, validated by bonnie.ts before they get here):
#   VTB_BONNIE_SIZE_MIB  dataset size in MiB (-s); bonnie++ wants at least twice the RAM
#   VTB_BONNIE_RAM_MIB   RAM in MiB (-r): passed explicitly, since a container sees the
#                        host's RAM and bonnie++ would size its dataset from that
#   VTB_BONNIE_FILES     file tests (-n), in multiples of 1024 files; "0" skips them
#   VTB_BONNIE_DIR       where to write: created if missing, and refused unless it and
#                        every directory above it are root's alone (safe_dir: bonnie++
#                        writes and deletes as root there); the run uses a fresh
#                        directory inside it, removed at exit, and then the directory
#                        itself if that left it empty (so nothing that was there is lost)
set -euo pipefail
export LC_ALL=C
PATH=$PATH:/usr/sbin:/sbin # Debian installs bonnie++ in /usr/sbin

size=${VTB_BONNIE_SIZE_MIB:?VTB_BONNIE_SIZE_MIB is required}
ram=${VTB_BONNIE_RAM_MIB:?VTB_BONNIE_RAM_MIB is required}
files=${VTB_BONNIE_FILES:?VTB_BONNIE_FILES is required}
dir=${VTB_BONNIE_DIR:?VTB_BONNIE_DIR is required}
[[ $size =~ ^[1-9][0-9]*$ && $ram =~ ^[1-9][0-9]*$ ]] || {
  echo "bonnie: bad size/ram: $size/$ram" >&2
  exit 2
}
[[ $files =~ ^[0-9]+(:[0-9]+){0,4}$ ]] || { echo "bonnie: bad files: $files" >&2; exit 2; }
[[ $dir =~ ^/[A-Za-z0-9._/-]+$ && ! $dir =~ (^|/)\.\.(/|$) ]] || {
  echo "bonnie: bad directory: $dir" >&2
  exit 2
}

safe_dir bonnie "$dir"
work=$(mktemp -d -- "$dir/bonnie.XXXXXX")
cleanup() {
  rm -rf -- "$work"
  rmdir -- "$dir" 2>/dev/null || true
}
trap cleanup EXIT

# bonnie++ has no --version; its usage text (on an unknown option) ends with it.
v=$(bonnie++ -h 2>&1 | sed -n 's/^Version: *//p' | head -n1) || true
if [ -n "$v" ]; then echo "# bonnie++ $v"; fi

# bonnie++ refuses to run as root unless told which user to run as.
user=()
if [ "$(id -u)" = 0 ]; then user=(-u root); fi

bonnie++ -q -d "$work" -s "$size" -r "$ram" -n "$files" "${user[@]}"
