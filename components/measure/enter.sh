# On the server: hands the runner and its environment to a shell inside the
# container (enter_trials, from units.sh, which this script follows).
set -euo pipefail
cd /
trap way_cleanup EXIT
enter_trials
