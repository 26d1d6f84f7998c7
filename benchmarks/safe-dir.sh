#!/usr/bin/env bash
# Shared by the benchmark scripts that keep files, as root, in a directory that
# outlives one script's own temporary files (unixbench.sh's build cache,
# bonnie.sh's data directory), which follow it in one script.

# safe_dir WHO DIR: makes DIR, and any directory above it that is missing (mode
# 755), checking each from / down before going into it; exits, naming WHO, DIR
# and the directory at fault, unless each is a directory (not a symlink) owned
# by root (or by whoever runs this) and writable by its owner alone. So no other
# local user can put a file there, or swap DIR or a directory above it for
# another: /tmp and /var/tmp, where anyone can make a directory first, are refused.
safe_dir() {
  local who=$1 path=$2 d=/ part
  local -a parts
  [[ $path == /* && ! $path =~ (^|/)\.\.?(/|$) ]] || {
    echo "$who: $path: not an absolute path without . or .. in it" >&2
    exit 2
  }
  safe_dir_at "$who" "$path" /
  IFS=/ read -r -a parts <<<"${path#/}"
  for part in "${parts[@]}"; do
    [ -n "$part" ] || continue # a // or a trailing /
    d="${d%/}/$part"
    [ -e "$d" ] || [ -L "$d" ] || mkdir -m 755 -- "$d" 2>/dev/null || true
    safe_dir_at "$who" "$path" "$d"
  done
}

# safe_dir_at WHO DIR D: the check of one directory D on the way to DIR.
safe_dir_at() {
  local owner mode
  if [ -L "$3" ]; then
    echo "$1: refusing $2: $3 is a symlink" >&2
    exit 1
  fi
  if [ ! -d "$3" ]; then
    echo "$1: refusing $2: $3 is not a directory, and cannot be made one" >&2
    exit 1
  fi
  read -r owner mode <<<"$(stat -c '%u %a' -- "$3")"
  if [ "$owner" != 0 ] && [ "$owner" != "$(id -u)" ]; then
    echo "$1: refusing $2: $3 is owned by uid $owner, not root" >&2
    exit 1
  fi
  if ((8#$mode & 8#022)); then
    echo "$1: refusing $2: $3 is writable by others than its owner (mode $mode)" >&2
    exit 1
  fi
}

# safe_source WHO PATH: a file or directory given by the user (a source to be
# built as root) that no other local user could have put there or changed:
# every directory above it passes safe_dir_at, and it and everything in it is
# owned by root (or whoever runs this) and writable by its owner alone.
safe_source() {
  local who=$1 path=$2 d=/ part bad
  local -a parts
  # A trailing / would make the symlink checks below follow a link.
  [[ $path == /* && $path != */ && ! $path =~ (^|/)\.\.?(/|$) ]] || {
    echo "$who: $path: not an absolute path without . or .. in it, nor a / at its end" >&2
    exit 2
  }
  IFS=/ read -r -a parts <<<"${path#/}"
  unset 'parts[${#parts[@]}-1]'
  safe_dir_at "$who" "$path" /
  for part in "${parts[@]}"; do
    [ -n "$part" ] || continue
    d="${d%/}/$part"
    safe_dir_at "$who" "$path" "$d"
  done
  if [ -L "$path" ]; then
    echo "$who: refusing $path: it is a symlink" >&2
    exit 1
  fi
  # No link inside either: it could lead anywhere, a file of another user's.
  bad=$(find "$path" -type l -print -quit 2>/dev/null || echo "$path")
  if [ -n "$bad" ]; then
    echo "$who: refusing $path: $bad is a symlink" >&2
    exit 1
  fi
  bad=$(find "$path" \( \( ! -uid 0 ! -uid "$(id -u)" \) -o -perm /022 \) -print -quit 2>/dev/null ||
    echo "$path")
  if [ -n "$bad" ]; then
    echo "$who: refusing $path: $bad is owned by another user or writable by others than its owner" >&2
    exit 1
  fi
}
