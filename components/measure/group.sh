# On the physical server (after way-in.sh): runs one benchmark in every guest
# of a concurrent group at once (the 2009 paper's 8 VMs at once), each guest's
# trials one after another as runner.sh does. Prints each guest's output as one
# section, mark_guest I ... mark_guest_end I (components/measure/protocol.ts).
# One step for the whole group, so the group always runs, and reruns, together.
set -uo pipefail
cd /
dir="$(mktemp -d)"
trap 'rm -rf "$dir"; way_cleanup' EXIT
runner_text >"$dir/runner" || exit 2
for i in $(seq 0 $((VTB_GROUP_SIZE - 1))); do
  (way_in "VTB_G$i" <"$dir/runner" >"$dir/$i.out" 2>"$dir/$i.err"; echo $? >"$dir/$i.rc") &
done
wait
for i in $(seq 0 $((VTB_GROUP_SIZE - 1))); do
  mark_guest "$i"
  cat "$dir/$i.out"
  if [ -s "$dir/$i.out" ] && [ -n "$(tail -c 1 "$dir/$i.out")" ]; then echo; fi
  rc="$(cat "$dir/$i.rc")"
  # The runner always exits 0: anything else is the way in failing.
  if [ "$rc" != 0 ]; then
    mark_guest_failed "$i" "$rc"
    tail -n 5 "$dir/$i.err"
  fi
  mark_guest_end "$i"
done
