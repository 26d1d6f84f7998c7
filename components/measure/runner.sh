#!/usr/bin/env bash
# Runs one benchmark's script VTB_TRIALS times, one after the other, inside the
# target, each trial within VTB_TRIAL_TIMEOUT seconds, numbered from
# VTB_TRIAL_FIRST (an interleaved run's round). Marks every trial so the
# output can be split: mark_trial N ... mark_end N RC SECONDS, mark_stderr N
# before the tail of its stderr when it failed or wrote any (a tool's warning,
# a script's retry: part of the record), the runner protocol's markers, printed
# by functions components/measure/protocol.ts puts in front of this script.
# Always exits 0: a failed trial is a result to report, not a failed step (only
# a runner that cannot make its one temporary file fails, with mktemp's message).
# A trial reads nothing: stdin may be the rest of this script (bash -s).
# Each trial's stderr goes to a file of this run's own (mktemp), not to a name
# under /tmp another local user could make first, then read or rewrite.
err="$(mktemp -t vtb-trial-stderr.XXXXXXXXXX)" || exit 1
trap 'rm -f "$err"' EXIT
for i in $(seq "${VTB_TRIAL_FIRST:-1}" $((${VTB_TRIAL_FIRST:-1} + VTB_TRIALS - 1))); do
  mark_trial "$i"
  start="$(date +%s.%N)"
  timeout --kill-after=10 "$VTB_TRIAL_TIMEOUT" bash -c "$VTB_BENCH_SCRIPT" </dev/null 2>"$err"
  rc=$?
  end="$(date +%s.%N)"
  if [ "$rc" -ne 0 ] || [ -s "$err" ]; then
    mark_stderr "$i"
    tail -n 20 "$err" | tail -c 16384
  fi
  mark_end "$i" "$rc" "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')"
done
exit 0
