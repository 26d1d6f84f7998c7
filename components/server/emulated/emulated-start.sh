#!/usr/bin/env bash
# (after host-state.sh, emulated-common.sh) Starts one emulated server: a copy-on-write overlay of
# its disk (disk-build.sh) and QEMU TCG shaped as asked, with SSH forwarded
# from 127.0.0.1:$SSH_PORT only. QEMU runs detached and outlives this step; emulated-stop.sh ends it.
# Env: DIR NAME SSH_PORT SOCKETS CORES MEM_MIB DISK_GIB BASE (the disk, emulated-disk) VTB_OWNER,
#      LAB (front, behind or empty) LAB_SOCKET LAB_MAC LAB_ADDRESS: a link to another emulated server;
#      FRONT_NAME FRONT_DIR (behind: the server in front)
set -euo pipefail
[[ $DIR =~ ^/var/lib/virt-testbed/emulated/[a-z0-9-]+$ ]] || vtb_die "bad emulated server directory: $DIR"
vtb_mine emulated "$(basename "$DIR")" || vtb_die "$DIR is another stack's"
[ -f "$DIR/seed.iso" ] || vtb_die "$DIR/seed.iso is missing: the keys step did not run"
[[ $BASE =~ ^/var/cache/virt-testbed/servers/[a-z0-9-]+/disk\.qcow2$ ]] || vtb_die "bad server disk: $BASE"
[ -f "$BASE" ] || vtb_die "$BASE is missing: the disk step did not run"
# One from an interrupted run of this stack goes first.
vtb_emu_stop "$NAME" "$DIR"
# A private link to another emulated server (connection.jump): the one in
# front listens on a socket in its directory (root's only), the one behind
# joins it and has no port here; its user network only reaches out.
net="user,id=n0,hostfwd=tcp:127.0.0.1:$SSH_PORT-:22"
lab=()
case "${LAB:-}" in
  '') ;;
  front | behind)
    [[ $LAB_SOCKET =~ ^/var/lib/virt-testbed/emulated/[a-z0-9-]+/lab\.sock$ && $LAB_MAC =~ ^52:54:00:df:00:0[12]$ ]] ||
      vtb_die "bad link socket or MAC: $LAB_SOCKET $LAB_MAC"
    if [ "$LAB" = front ]; then
      rm -f "$LAB_SOCKET"
      lab=(-netdev "stream,id=lab,server=on,addr.type=unix,addr.path=$LAB_SOCKET")
    else
      [[ ${FRONT_NAME:-} =~ ^[a-z0-9-]+$ && ${FRONT_DIR:-} =~ ^/var/lib/virt-testbed/emulated/[a-z0-9-]+$ ]] ||
        vtb_die "bad server in front: ${FRONT_NAME:-} ${FRONT_DIR:-}"
      # A socket left by a front that died would take the connect and never carry a frame.
      [ "$LAB_SOCKET" = "$FRONT_DIR/lab.sock" ] && [ -n "$(vtb_emu_pid "$FRONT_NAME" "$FRONT_DIR")" ] && [ -S "$LAB_SOCKET" ] ||
        vtb_die "the server in front of this one ($FRONT_NAME) does not run, or has no link at $LAB_SOCKET"
      net="user,id=n0"
      lab=(-netdev "stream,id=lab,server=off,addr.type=unix,addr.path=$LAB_SOCKET")
    fi
    lab+=(-device "virtio-net-pci,netdev=lab,mac=$LAB_MAC")
    ;;
  *) vtb_die "bad link role: $LAB" ;;
esac
if [ "${LAB:-}" != behind ] && ss -Hltn "sport = :$SSH_PORT" | grep -q .; then
  vtb_die "127.0.0.1:$SSH_PORT is already in use: choose another sshPort for this emulated server"
fi
# For this machine's own ssh into the server (emulated-seed.sh): its host key pinned.
if [ "${LAB:-}" = behind ]; then
  echo "$LAB_ADDRESS $(cat "$DIR/host_key.pub")" >"$DIR/known_hosts"
else
  echo "[127.0.0.1]:$SSH_PORT $(cat "$DIR/host_key.pub")" >"$DIR/known_hosts"
fi
qemu-img create -q -f qcow2 -F qcow2 -b "$BASE" "$DIR/disk.qcow2" "${DISK_GIB}G"
# qemu64 with SVM and nested paging: what Xen needs and TCG runs stably
# (-cpu max crashes dom0, ENVIRONMENT.md). The overlay is thrown away with the
# server, so its flushes are not waited for (cache=unsafe): apt's many fsyncs
# inside are most of an install's time here. Disk figures are emulation's anyway.
qemu-system-x86_64 -name "vtb-emu-$NAME" -machine pc,accel=tcg -cpu qemu64,+svm,+npt \
  -smp "$((SOCKETS * CORES)),sockets=$SOCKETS,cores=$CORES,threads=1" -m "$MEM_MIB" \
  -drive "file=$DIR/disk.qcow2,if=virtio,format=qcow2,cache=unsafe" \
  -drive "file=$DIR/seed.iso,if=virtio,format=raw,readonly=on" \
  -netdev "$net" -device virtio-net-pci,netdev=n0 "${lab[@]}" \
  -serial "file:$DIR/console.log" -display none -monitor none \
  -daemonize -pidfile "$DIR/qemu.pid" 8>&- 9>&-
echo "pid: $(cat "$DIR/qemu.pid")"
echo "disk: $BASE"
# sed, not head: head's early exit would fail the pipe (pipefail).
echo "qemu: $(qemu-system-x86_64 --version | sed -n 1p)"
echo "cpu: qemu64,+svm,+npt sockets=$SOCKETS cores=$CORES memory=${MEM_MIB}MiB"
