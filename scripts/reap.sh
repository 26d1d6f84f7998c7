#!/usr/bin/env bash
# Stops what a pulumi CLI started (its language host, the program, the
# providers) once that CLI is gone, however it ended: SIGKILL, a closed
# terminal, a test's time limit. They carry the session mark pulumi.sh gave
# the CLI; started by pulumi.sh, detached from its terminal and process group.
#
#   reap.sh PID SESSION
set -uo pipefail
pid="$1"
session="$2"
started() { awk '{ print $22 }' "/proc/$1/stat" 2>/dev/null; }
t0="$(started "$pid")"
[ -n "$t0" ] || exit 0
while [ "$(started "$pid")" = "$t0" ]; do sleep 1; done

# The CLI's own children, not what its steps started on purpose (a container's
# monitor, libvirtd): those carry the mark too, and outlive it by design.
ours() {
  local p cmd
  for p in /proc/[0-9]*; do
    grep -qzxF "VTB_PULUMI_SESSION=$session" "$p/environ" 2>/dev/null || continue
    cmd="$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)"
    case "$cmd" in
      *pulumi-resource-* | *pulumi-language-* | *pulumi-analyzer-* | *@pulumi/pulumi/cmd/* | */bin/pulumi\ *) echo "${p#/proc/}" ;;
    esac
  done
}
# They exit by themselves once the engine is gone, but not all do, nor at
# once: then SIGTERM, on which the dynamic provider stops its running steps
# (a remote step's kill takes longest) and exits; SIGKILL for what is left.
sleep 3
left="$(ours | tr '\n' ' ')"
[ -n "$left" ] || exit 0
echo "$(date -u +%FT%TZ) pulumi $pid is gone; stopping what it left running: $left"
for p in $left; do echo "  $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-200)"; done
# shellcheck disable=SC2086
kill -TERM $left 2>/dev/null
for _ in $(seq 1 50); do
  [ -n "$(ours)" ] || exit 0
  sleep 0.5
done
left="$(ours | tr '\n' ' ')"
echo "  still running after 25 s, killed: $left"
# shellcheck disable=SC2086
kill -KILL $left 2>/dev/null
