#!/usr/bin/env bash
# Runs one benchmark's script VTB_TRIALS times, one after the other, inside the
# target, each trial within VTB_TRIAL_TIMEOUT seconds. Marks every trial so the
# output can be split: "@@@ trial N" ... "@@@ end N rc=RC seconds=S".
# Always exits 0: a failed trial is a result to report, not a failed step.
# A trial reads nothing: stdin may be the rest of this script (bash -s).
for i in $(seq 1 "$VTB_TRIALS"); do
  echo "@@@ trial $i"
  start="$(date +%s.%N)"
  timeout --kill-after=10 "$VTB_TRIAL_TIMEOUT" bash -c "$VTB_BENCH_SCRIPT" </dev/null 2>"/tmp/vtb-trial-stderr.$$"
  rc=$?
  end="$(date +%s.%N)"
  if [ "$rc" -ne 0 ]; then
    echo "@@@ stderr $i"
    tail -n 20 "/tmp/vtb-trial-stderr.$$"
  fi
  rm -f "/tmp/vtb-trial-stderr.$$"
  echo "@@@ end $i rc=$rc seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')"
done
exit 0
