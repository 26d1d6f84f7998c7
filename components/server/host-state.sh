# Host state that several owners share: packages and daemons a stack's step
# installs or starts, where another stack, another logical server on the same
# machine or an admin may use them too. Prepended to the scripts that need it.
#
# Changes happen under one host-wide lock; each owner ($VTB_OWNER, a digest of
# project, stack and step) records what it holds, so nothing is removed while
# another owner still holds it. The records live in a root-owned directory
# that is checked before use: no other local user can plant or change one.

VTB_HOST_STATE=/var/lib/virt-testbed/host

vtb_die() {
  echo "$*" >&2
  exit 1
}

# A directory only root can change: created with mode $2 (default 0700), or
# refused naming the path.
vtb_owned_dir() {
  local d="$1" mode
  [ -L "$d" ] && vtb_die "$d is a symbolic link: refusing to use it (remove it)"
  # Two steps on a fresh server may make it at once: the one that loses finds
  # it made, and checks it like any other.
  [ -d "$d" ] || mkdir -m "${2:-0700}" "$d" 2>/dev/null || [ -d "$d" ] || vtb_die "cannot create $d"
  [ -L "$d" ] && vtb_die "$d is a symbolic link: refusing to use it (remove it)"
  [ "$(stat -c %u "$d")" = 0 ] || vtb_die "$d is not owned by root: refusing to use it (remove it)"
  mode="$(stat -c %a "$d")"
  (((8#$mode & 8#022) == 0)) || vtb_die "$d is writable by others (mode $mode): refusing to use it (remove it)"
}

# The project's directory on the host: root's, and open to pass through (0755),
# since libvirt's QEMU (its own user) reaches guest disks in pools below it.
vtb_base_dir() {
  vtb_owned_dir /var/lib/virt-testbed 0755
  [ "$(stat -c %a /var/lib/virt-testbed)" = 755 ] || chmod 0755 /var/lib/virt-testbed
}

# The host-state directory, checked (or made) root's; its path on stdout.
vtb_host_dir() {
  vtb_base_dir
  vtb_owned_dir "$VTB_HOST_STATE"
  echo "$VTB_HOST_STATE"
}

# A cache entry /var/cache/virt-testbed/<kind>/<key>, built once per content
# key (a guest image, an emulated server's disk) and kept by destroy: its
# directories root's; one build per key at a time, the next waits and reuses
# it. True if the entry is complete. Else false, holding the build lock
# (descriptor 9) with VTB_BUILD an empty directory to build in, removed on
# exit unless vtb_cache_done moves it in place.
vtb_cache_entry() {
  local dir="$1"
  [[ $dir =~ ^/var/cache/virt-testbed/[a-z]+/[a-z0-9-]+$ ]] || vtb_die "bad cache entry: $dir"
  vtb_owned_dir /var/cache/virt-testbed 0755
  vtb_owned_dir "$(dirname "$dir")" 0755
  if [ -f "$dir/complete" ]; then return 0; fi
  vtb_wait_lock 9 "$dir.lock" 3000 || vtb_die "another build of $dir held $dir.lock for 50 minutes"
  if [ -f "$dir/complete" ]; then return 0; fi
  VTB_BUILD="$dir.tmp.$$"
  trap 'rm -rf "$VTB_BUILD"' EXIT
  rm -rf "$VTB_BUILD"
  mkdir -m 0755 "$VTB_BUILD" || vtb_die "cannot create $VTB_BUILD"
  return 1
}
# The build in VTB_BUILD (its `complete` written last) becomes the entry $1.
vtb_cache_done() {
  rm -rf "$1"
  mv "$VTB_BUILD" "$1"
  trap - EXIT
}

# Every record names its owner: a step without one is a bug, not a guess.
vtb_require_owner() {
  [[ ${VTB_OWNER:-} =~ ^[0-9a-f]{16,64}$ ]] || vtb_die "VTB_OWNER is not set to a digest: ${VTB_OWNER:-(unset)}"
}

# Takes the flock on file $2 through descriptor $1, for as long as that stays
# open, waiting up to $3 s and saying $4 (if given) when it has to wait; sets
# vtb_lock_waited (seconds). False if another held it that long.
vtb_wait_lock() {
  local t0=$SECONDS
  vtb_lock_waited=0
  [[ $1 =~ ^[3-9]$ ]] || vtb_die "vtb_wait_lock: bad descriptor: $1"
  eval "exec $1>\"\$2\"" || vtb_die "cannot open $2"
  flock -n "$1" && return 0
  [ -z "${4:-}" ] || echo "$4" >&2
  flock -w "$3" "$1" || return 1
  vtb_lock_waited=$((SECONDS - t0))
}

# Takes the host-wide lock (for the rest of the script), waiting up to $1 s.
# It is held through descriptor 8: a daemon the script starts must not
# inherit it (`8>&-`), or it would hold the lock for as long as it runs.
vtb_host_lock() {
  vtb_require_owner
  vtb_base_dir
  vtb_owned_dir "$VTB_HOST_STATE"
  vtb_wait_lock 8 "$VTB_HOST_STATE/lock" "$1" \
    "waiting up to $1 s for another virt-testbed step on this host ($VTB_HOST_STATE/lock)" ||
    vtb_die "another virt-testbed step held $VTB_HOST_STATE/lock for $1 s; try again when it is done"
  # Said when it was worth waiting for (a second or more).
  [ "$vtb_lock_waited" -eq 0 ] || echo "waited: $vtb_lock_waited s for another virt-testbed step on this host"
}

# The records of one kind of holding ("packages", "libvirtd"), one file per owner.
vtb_holds() {
  vtb_owned_dir "$VTB_HOST_STATE/$1"
  echo "$VTB_HOST_STATE/$1"
}

# "pid (command)" of a process holding one of apt's or dpkg's locks, if any.
# apt takes fcntl locks, which /proc/locks lists by device and inode.
vtb_apt_lock_holder() {
  local f dev ino pid
  for f in /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock; do
    [ -e "$f" ] || continue
    ino="$(stat -c %i "$f")"
    # By inode alone: the device /proc/locks names is not stat's on btrfs. A
    # lock on another file system's same inode only makes us wait a little.
    pid="$(awk -v ino="$ino" '$2 != "->" && $6 ~ (":" ino "$") { print $5; exit }' /proc/locks)"
    if [ -n "$pid" ]; then
      echo "$pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-120 | sed 's/ *$//')) on $f"
      return 0
    fi
  done
  return 0
}

# Runs apt-get with its arguments once no one else holds the package manager's
# locks, waiting until $VTB_APT_DEADLINE (a $SECONDS value); says that it waited,
# and fails naming the holder when the time runs out. apt's own output goes to
# stderr, or to the file descriptor $VTB_APT_OUT.
vtb_apt() {
  local holder said="" t0=$SECONDS rc
  while :; do
    holder="$(vtb_apt_lock_holder)"
    if [ -n "$holder" ]; then
      if [ "$SECONDS" -ge "$VTB_APT_DEADLINE" ]; then
        vtb_die "the package manager's lock is still held by pid $holder after $((SECONDS - t0)) s (set the server's packageLockTimeoutSeconds to wait longer)"
      fi
      [ -n "$said" ] || echo "waiting up to $((VTB_APT_DEADLINE - SECONDS)) s for the package manager's lock, held by pid $holder" >&2
      said="$holder"
      sleep 2
      continue
    fi
    rc=0
    # apt waits for dpkg's lock itself too, in case someone takes it right now.
    # No prompt (stdin may be the rest of this script), and no daemon a
    # package starts keeps the host lock (descriptor 8).
    DEBIAN_FRONTEND=noninteractive apt-get -o "DPkg::Lock::Timeout=$((VTB_APT_DEADLINE > SECONDS ? VTB_APT_DEADLINE - SECONDS : 0))" \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" \
      </dev/null >&"${VTB_APT_OUT:-2}" 2>&"${VTB_APT_OUT:-2}" 8>&- || rc=$?
    # Lost a race for a lock apt does not wait for (the lists' lock): wait again.
    if [ "$rc" -ne 0 ] && [ -n "$(vtb_apt_lock_holder)" ] && [ "$SECONDS" -lt "$VTB_APT_DEADLINE" ]; then continue; fi
    [ -z "$said" ] || echo "waited: $((SECONDS - t0)) s for the package manager's lock (held by pid $said)"
    return "$rc"
  done
}

# Claims the host object KIND NAME (a container, a domain) for $VTB_OWNER
# before a create script touches it. An object of that name that another
# owner claimed, or that exists without a claim (an admin's, or another
# tool's), is refused, never destroyed as "leftovers"; ours, left by an
# interrupted run, may be replaced. $3 is "exists" if the object is there.
vtb_claim() {
  local f
  vtb_require_owner
  vtb_base_dir
  vtb_owned_dir "$VTB_HOST_STATE"
  f="$(vtb_holds objects)/$1-$2"
  # A lock of its own, held for an instant: not the one installs hold for minutes.
  (
    flock -w 60 9 || vtb_die "cannot take $VTB_HOST_STATE/objects/.lock to claim $1 $2"
    if [ -f "$f" ] && [ "$(cat "$f")" != "$VTB_OWNER" ]; then
      vtb_die "$1 $2 belongs to another stack on this host: refusing to touch it (${VTB_CLAIM_HINT:-rename this guest, or destroy the other stack first})"
    fi
    if [ ! -f "$f" ] && [ "${3:-}" = exists ]; then
      vtb_die "$1 $2 is in use on this host but was not made by this stack: refusing to replace it (${VTB_CLAIM_HINT:-remove it by hand if it is a leftover})"
    fi
    echo "$VTB_OWNER" >"$f"
  ) 9>"$VTB_HOST_STATE/objects/.lock" || exit 1
}

# True if KIND NAME may be destroyed by $VTB_OWNER: claimed by it, or by no
# one (made before claims were kept). Drops the claim once the caller is done.
vtb_mine() {
  local f="$VTB_HOST_STATE/objects/$1-$2"
  [ ! -f "$f" ] || [ "$(cat "$f")" = "${VTB_OWNER:-}" ]
}
vtb_unclaim() {
  [ -d "$VTB_HOST_STATE/objects" ] || return 0
  # Under the claims' lock: a claim being made meanwhile is not removed.
  (
    flock -w 60 9 || vtb_die "cannot take $VTB_HOST_STATE/objects/.lock to release $1 $2"
    if vtb_mine "$1" "$2"; then rm -f "$VTB_HOST_STATE/objects/$1-$2"; fi
  ) 9>"$VTB_HOST_STATE/objects/.lock" || exit 1
}

# Installing must not start daemons (the platform starts what it needs): a
# policy-rc.d that denies them, marked as ours, so one left by a killed run
# is recognized and removed by the next (an admin's own is never touched).
VTB_POLICY_MARK="# placed by virt-testbed while it installs packages"
vtb_policy_place() {
  local p=/usr/sbin/policy-rc.d
  if [ -e "$p" ] && grep -qxF "$VTB_POLICY_MARK" "$p"; then rm -f "$p"; fi
  [ -e "$p" ] && return 1
  printf '#!/bin/sh\n%s\nexit 101\n' "$VTB_POLICY_MARK" >"$p" && chmod +x "$p"
}
vtb_policy_remove() {
  local p=/usr/sbin/policy-rc.d
  if [ -e "$p" ] && grep -qxF "$VTB_POLICY_MARK" "$p"; then rm -f "$p"; fi
}

# True if Debian package $1 is installed.
vtb_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# Makes sure libvirtd answers on qemu:///system, starting it (and virtlogd
# where no systemd runs them) if needed; prints what it started. The daemons
# get neither the host lock's descriptor (8) nor this script's output.
vtb_libvirtd_up() {
  local started=""
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    systemctl is-active -q libvirtd || { systemctl start libvirtd >&2; started="systemd:libvirtd"; }
  else
    pidof virtlogd >/dev/null || { virtlogd -d </dev/null >/dev/null 2>&1 8>&-; started="$started virtlogd"; }
    pidof libvirtd >/dev/null || { libvirtd -d </dev/null >/dev/null 2>&1 8>&-; started="$started libvirtd"; }
  fi
  for _ in $(seq 1 60); do
    virsh -c qemu:///system version >/dev/null 2>&1 && break
    sleep 0.5
  done
  virsh -c qemu:///system version >/dev/null 2>&1 || vtb_die "libvirtd does not answer on qemu:///system"
  echo "${started# }"
}
