# On the server: hands the runner and its environment to a shell inside the
# container (way_in VTB_IN, from way-in.sh, which this script follows).
set -euo pipefail
cd /
trap way_cleanup EXIT
runner_text | way_in VTB_IN
