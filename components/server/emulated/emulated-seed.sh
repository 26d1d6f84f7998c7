#!/usr/bin/env bash
# (after host-state.sh) Copies a guest image built on the Pulumi host into an
# emulated server's image cache, where image-build.sh then finds it complete:
# the same key is the same suite, packages and build script. Building it
# inside the server would take mmdebstrap 10 minutes and more under TCG.
# Env: DIR (the emulated server's directory: its key, known_hosts), SSH_PORT,
#      SSH_HOST JUMP_DIR JUMP_PORT (behind another emulated server: through it),
#      IMAGE_DIR (/var/cache/virt-testbed/images/<key>, complete here)
set -euo pipefail
[[ $DIR =~ ^/var/lib/virt-testbed/emulated/[a-z0-9-]+$ ]] || vtb_die "bad emulated server directory: $DIR"
[[ $IMAGE_DIR =~ ^/var/cache/virt-testbed/images/([0-9a-f]{16})$ ]] || vtb_die "bad image directory: $IMAGE_DIR"
key="${BASH_REMATCH[1]}"
[ -f "$IMAGE_DIR/complete" ] || vtb_die "$IMAGE_DIR is not complete: the image was not built here"
opts=(-o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=10 -o ServerAliveInterval=15)
# A server behind another (connection.jump) is reached through it, each with its own key and pin.
via=()
if [ -n "${JUMP_DIR:-}" ]; then
  [[ $JUMP_DIR =~ ^/var/lib/virt-testbed/emulated/[a-z0-9-]+$ && $JUMP_PORT =~ ^[0-9]+$ && $SSH_HOST =~ ^10\.223\.0\.2$ ]] ||
    vtb_die "bad jump: $JUMP_DIR $JUMP_PORT $SSH_HOST"
  via=(-o "ProxyCommand=ssh -i $JUMP_DIR/id_ed25519 -o UserKnownHostsFile=$JUMP_DIR/known_hosts ${opts[*]} -p $JUMP_PORT -W %h:%p root@127.0.0.1")
fi
on() {
  ssh -i "$DIR/id_ed25519" -o UserKnownHostsFile="$DIR/known_hosts" "${opts[@]}" "${via[@]}" \
    -p "$([ -n "${JUMP_DIR:-}" ] && echo 22 || echo "$SSH_PORT")" "root@${SSH_HOST:-127.0.0.1}" "$@"
}
t0=$(date +%s)
# The server's side: its cache directories root's, the copy unpacked aside
# and moved in place whole, a complete entry kept as it is.
remote="$(
  cat <<'REMOTE'
set -euo pipefail
c=/var/cache/virt-testbed
for d in $c $c/images; do
  [ -L $d ] && { echo "$d is a symbolic link" >&2; exit 1; }
  [ -d $d ] || mkdir -m 0755 $d
  [ "$(stat -c %u $d)" = 0 ] || { echo "$d is not owned by root" >&2; exit 1; }
done
if [ -f $c/images/$KEY/complete ]; then cat >/dev/null; echo kept; exit 0; fi
t=$(mktemp -d $c/images/$KEY.seed.XXXXXX)
trap 'rm -rf "$t"' EXIT
tar -xf - -C $t
rm -rf $c/images/$KEY
mv $t/$KEY $c/images/$KEY
echo copied
REMOTE
)"
tar -C "$(dirname "$IMAGE_DIR")" -cf - "$key" | on "KEY=$key bash -c ${remote@Q}" | sed "s/^/image $key: /"
echo "seconds: $(($(date +%s) - t0))"
