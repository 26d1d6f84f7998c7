#!/usr/bin/env bash
# Runs HEP-SPEC06 (HS06) from the user's own, licensed SPEC CPU2006
# installation and prints, and only prints, each copy's two result files
# (CFP2006.NNN.ref.txt and CINT2006.NNN.ref.txt) between "@@@" markers for
# parseHepspec06 (hepspec06.ts).
#
# The procedure is HEPiX's ("How to run HEP-SPEC06", w3.hepix.org/benchmarking):
#   - the all_cpp set: 444.namd 447.dealII 450.soplex 453.povray (CFP2006),
#     471.omnetpp 473.astar 483.xalancbmk (CINT2006);
#   - built once with the system's GCC and the mandatory flags
#     -O2 -pthread -fPIC -m32 (32-bit binaries), which HEPiX's config file
#     linux32-gcc_cern.cfg (from its spec2k6 archive) sets; it is not part of
#     SPEC CPU2006 and is not shipped here: put it in $SPEC/config;
#   - one independent runspec per logical CPU (or job slot), all started at
#     once ("multiple speed", not SPECrate), each with
#     `runspec --config=<cfg> --nobuild --noreportable all_cpp`: base tuning,
#     the ref input set and runspec's default of 3 iterations, of which the
#     median is selected (marked "*" in the result file);
#   - per copy, the geometric mean of the 7 selected ratios; HS06 is the sum
#     over the copies (computed by the parser, not here).
# --noreportable runs are always marked "INVALID RUN" by SPEC's tools
# ("'reportable' flag not set", and "did not have enough runs" for the
# benchmarks outside all_cpp); that is expected for HS06.
#
# Env: SPEC2006_PATH (the installation, with shrc), HS06_CONFIG (a config file
# name in $SPEC2006_PATH/config), HS06_COPIES (empty: nproc), HS06_ITERATIONS.
set -euo pipefail
fail() {
  echo "hepspec06: $*" >&2
  exit 1
}
spec="${SPEC2006_PATH:?set testbed benchmark parameter spec2006Path}"
[ -f "$spec/shrc" ] || fail "$spec/shrc not found: spec2006Path must be a SPEC CPU2006 installation"
cfg="$HS06_CONFIG"
if [ ! -f "$spec/config/$cfg" ] && [ ! -f "$spec/config/$cfg.cfg" ]; then
  fail "config $cfg not found in $spec/config: copy HEPiX's linux32-gcc_cern.cfg (spec2k6 archive) there, or set parameter config"
fi
copies="${HS06_COPIES:-$(nproc)}"
iterations="${HS06_ITERATIONS:-3}"
version=$(head -n1 "$spec/version.txt" 2>/dev/null | tr -d '[:space:]')

cd "$spec"
set +u
# shellcheck disable=SC1091
. ./shrc
set -u
# runspec reuses executables already built with the same config and options.
runspec --config="$cfg" --action=build --tune=base all_cpp >&2 ||
  fail "runspec --action=build failed (needs gcc, g++ and 32-bit multilib for -m32)"

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
pids=()
for i in $(seq 1 "$copies"); do
  runspec --config="$cfg" --nobuild --noreportable --tune=base --size=ref \
    --iterations="$iterations" --output_format=txt all_cpp >"$logs/$i.out" 2>&1 &
  pids+=("$!")
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done

# Each copy's result files carry the run number of its log, CPU2006.NNN.log.
echo "@@@ hepspec06 version ${version:-unknown} copies $copies"
for i in $(seq 1 "$copies"); do
  n=$(grep -o 'CPU2006\.[0-9]*\.log' "$logs/$i.out" | head -n1 | cut -d. -f2 || true)
  if [ -z "$n" ]; then
    tail -n 20 "$logs/$i.out" >&2
    fail "copy $i: no run number in runspec's output"
  fi
  for suite in CFP2006 CINT2006; do
    f="$spec/result/$suite.$n.ref.txt"
    if [ ! -f "$f" ]; then
      tail -n 20 "$logs/$i.out" >&2
      fail "copy $i: $f not written (runspec exit status: $status)"
    fi
    echo "@@@ copy $i $suite.$n.ref.txt"
    cat "$f"
  done
done
echo "@@@ end"
