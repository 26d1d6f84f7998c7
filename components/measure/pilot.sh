# A pilot (schedule.ts pilotRun): bare metal's first trial while the guests are
# set up. It is a trial on this server like any turn, so it takes the server's
# measurement lock as interleave.sh's measure_lock does: another stack's turn
# never runs beside it, nor it beside one. It does not wait for the lock: a
# pilot is not worth holding anyone up, so when another measurement holds the
# server it is not run (said as its trial's error). The trial never holds the
# lock (7>&-, around the runner that follows): a daemon it left would hold it.
lockfile="$(vtb_host_dir)/measure.lock" || exit 2
if ! vtb_wait_lock 7 "$lockfile" 0; then
  mark_trial 1
  mark_stderr 1
  echo "not run: another measurement holds this server; a pilot does not wait"
  mark_end 1 75 0
  exit 0
fi
