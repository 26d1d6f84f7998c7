# (after safe-dir.sh) Runs byte-unixbench (UnixBench 5.1.3 or 6.0.0) once and
# prints its text report, and only that, on stdout; parsed by parseUnixbench
# (unixbench.ts).
#
# UnixBench is in no package registry, so the source is the user's: UB_URL
# (downloaded with curl and checked against UB_SHA256 before anything is
# extracted or built, at every run, not only after the download) or UB_PATH (a
# tarball or a directory on this machine). It is unpacked and built (make) once
# under UB_WORKDIR, keyed by the tarball's checksum (or the directory's path),
# and reused by later runs. UB_WORKDIR is root's alone (safe_dir), or the run is
# refused: what is built there runs as root.
#
# Env: UB_URL + UB_SHA256, or UB_PATH; UB_COPIES ("1 4"; empty: UnixBench's
# default, 1 and the number of CPUs); UB_ITERATIONS (empty: UnixBench's default
# of 10, 3 for the slow tests); UB_TESTS ("index", or test names such as
# "dhry2reg whetstone-double syscall"); UB_WORKDIR (optional, default
# /var/cache/virt-testbed/unixbench).
#
# Note: UnixBench 5.1.3 (the last release tarball before 6.0.0) runs the
# "system" tests with at most 16 copies ('maxCopies' => 16 in Run): on a machine
# with more than 16 CPUs its default N-copy pass, or any -c above 16, silently
# runs nothing. The limit was lifted on byte-unixbench's master in 2015 and in
# 6.0.0; with 5.1.3, patch Run or keep copies at 16 or below.
set -euo pipefail
export LC_ALL=C
fail() {
  echo "unixbench: $*" >&2
  exit 1
}
base="${UB_WORKDIR:-/var/cache/virt-testbed/unixbench}"
safe_dir unixbench "$base"

if [ -n "${UB_URL:-}" ]; then
  want=$(printf %s "${UB_SHA256:-}" | tr 'A-F' 'a-f')
  [[ "$want" =~ ^[0-9a-f]{64}$ ]] || fail "source.url needs source.sha256 (64 hex digits)"
  src="$base/$want.tar"
  if [ ! -f "$src" ]; then
    command -v curl >/dev/null || fail "curl not found: install curl"
    # The URL (a token in it, say) goes to curl on stdin, not in its arguments,
    # which every local user of the host can read in ps.
    printf 'url = "%s"\n' "$(printf %s "$UB_URL" | sed 's/[\\"]/\\&/g')" |
      curl -fsSL --retry 3 -o "$src.part" --config - >&2 || fail "cannot download $UB_URL"
    mv "$src.part" "$src"
  fi
  # Checked at every use: a tarball kept from an earlier run is no exception.
  got=$(sha256sum "$src" | cut -d' ' -f1)
  if [ "$got" != "$want" ]; then
    rm -f "$src"
    fail "checksum mismatch for $UB_URL ($src): expected $want, got $got; refusing to use it"
  fi
  key="$want"
elif [ -n "${UB_PATH:-}" ]; then
  src="$UB_PATH"
  [ -e "$src" ] || fail "source.path $src: no such file or directory on $(uname -n)"
  # Built as root: nothing in it another local user could have planted.
  safe_source unixbench "$src"
  if [ -f "$src" ]; then
    key=$(sha256sum "$src" | cut -d' ' -f1)
  elif [ -d "$src" ]; then
    # By content (files, modes, directories), so a changed tree is built
    # again, never an old build reused.
    key="dir-$( (cd "$src" && find . -printf '%y %m %p\n' | sort && find . -type f -print0 | sort -z | xargs -0 -r sha256sum) | sha256sum | cut -c1-16)"
  else
    fail "source.path $src: not a file or directory"
  fi
else
  fail "set testbed benchmark parameter source.url and source.sha256, or source.path"
fi

# The UnixBench directory: the one holding Run, Makefile and src/.
find_tree() {
  local run
  while IFS= read -r run; do
    if [ -f "$(dirname "$run")/Makefile" ] && [ -d "$(dirname "$run")/src" ]; then
      dirname "$run"
      return
    fi
  done < <(find "$1" -maxdepth 3 -type f -name Run | sort)
}

tree="$base/$key"
if [ ! -f "$tree/.virt-testbed-built" ]; then
  rm -rf "$tree" "$tree.tmp"
  mkdir -p "$tree.tmp"
  if [ -d "$src" ]; then
    cp -R --preserve=mode,timestamps "$src/." "$tree.tmp/"
  else
    # Not as the archive says: its owners and modes could hand the tree to a local user.
    tar --no-same-owner --no-same-permissions -xf "$src" -C "$tree.tmp" || fail "cannot extract $src"
  fi
  # Built and later run as root: root's alone, whatever it came with.
  chown -R 0:0 "$tree.tmp"
  chmod -R go-w "$tree.tmp"
  dir=$(find_tree "$tree.tmp")
  [ -n "$dir" ] || fail "no UnixBench tree (Run, Makefile, src/) in $src"
  make -C "$dir" >&2 || fail "make failed in $dir (needs gcc, make and perl)"
  touch "$tree.tmp/.virt-testbed-built"
  mv "$tree.tmp" "$tree"
fi
dir=$(find_tree "$tree")
[ -n "$dir" ] || fail "no UnixBench tree in $tree: remove it to rebuild"

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
args=()
if [ -n "${UB_ITERATIONS:-}" ]; then args+=(-i "$UB_ITERATIONS"); fi
for c in ${UB_COPIES:-}; do args+=(-c "$c"); done
read -r -a tests <<<"${UB_TESTS:-}"
# Run's progress (and its own `make check`) go to stderr; the report is the
# file it writes into UB_RESULTDIR, next to .html, .log (and .csv) siblings.
(cd "$dir" && UB_RESULTDIR="$results" ./Run ${args[@]+"${args[@]}"} ${tests[@]+"${tests[@]}"}) >&2 ||
  fail "Run failed"
reports=()
while IFS= read -r f; do reports+=("$f"); done < <(
  find "$results" -maxdepth 1 -type f ! -name '*.html' ! -name '*.log' ! -name '*.csv'
)
[ "${#reports[@]}" -eq 1 ] || fail "expected one report in $results, found ${#reports[@]}"
cat "${reports[0]}"
