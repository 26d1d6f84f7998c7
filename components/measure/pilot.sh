# A pilot (schedule.ts pilotRun): bare metal's first trial while the guests are
# set up. It is a trial on this server like any turn, so it takes the server's
# measurement lock as interleave.sh's measure_lock does: another stack's turn
# never runs beside it, nor it beside one; up to VTB_MEASURE_WAIT s, then it is
# not run (said as its trial's error). The trial never holds the lock (7>&-,
# around the runner that follows): a daemon it left would hold it forever.
lockfile="$(vtb_host_dir)/measure.lock" || exit 2
if ! vtb_wait_lock 7 "$lockfile" "${VTB_MEASURE_WAIT:-120}"; then
  mark_trial 1
  mark_stderr 1
  echo "not run: another measurement held this server for ${VTB_MEASURE_WAIT:-120} s; a pilot does not wait longer"
  mark_end 1 75 0
  exit 0
fi
