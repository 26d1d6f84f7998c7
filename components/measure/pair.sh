# On the physical server where the client runs (after way-in.sh and units.sh):
# a pair's trials (pair_trials), server and client always together in one step.
set -euo pipefail
cd /
trap 'pair_stop; way_cleanup' EXIT
pair_trials
