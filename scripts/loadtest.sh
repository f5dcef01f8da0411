#!/usr/bin/env bash
# make loadtest SCENARIO=edge|direct|fallback|shift: a Gatling simulation against the running
# testbed (make local, or make up), an HTML report with a row per version, and the verdict: the
# observed split against the expected one at CONFIDENCE, as one line at the end and as
# verdict.json beside the report. Exit 0 on PASS, 1 on FAIL, 2 on bad input (nothing sent).
#
# Settings (make variables or environment; dev.meshbed.loadtests.LoadSettings says more):
#   SCENARIO     edge (EdgeSplit), direct (DirectNodePort), fallback (Fallback), shift (WeightShift)
#   RATE         requests per second (open model; default 200)   DURATION  seconds (20; shift 40)
#   MODEL        open | closed         USERS  concurrent users of the closed model (16)
#   CONNECTIONS  keepalive | new (default keepalive; new for direct)
#   WEIGHTS      the expected split, v1=80,v2=20 (default: the VirtualService, or the ready pods)
#   TARGET       a base URL of your own (default: the running testbed)   MODE  local | cluster
#   CONFIDENCE   of the verdict (0.99)  STEPS  shift's weights (100-0,90-10,50-50,0-100)
#   REQUEST_PATH the path requested (/)
#   NAME         the cluster testbed's name, as make up NAME=... took (meshbed)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RESULTS=$ROOT/loadtests/target/gatling

die() { printf 'loadtest: %s\n' "$*" >&2; exit 2; }
lower() { printf '%s' "$1" | tr '[:upper:]' '[:lower:]'; }

case ${SCENARIO:-edge} in
  edge) SIM=EdgeSplit ;;
  direct) SIM=DirectNodePort ;;
  fallback) SIM=Fallback ;;
  shift) SIM=WeightShift ;;
  *) die "SCENARIO=${SCENARIO}: expected edge, direct, fallback or shift" ;;
esac
command -v mvn >/dev/null || die "maven is not installed"

props=(-Dsimulation="$SIM" -Dloadtest.root="$ROOT" -Dloadtest.results="$RESULTS")
for var in TARGET MODE WEIGHTS RATE DURATION MODEL USERS CONNECTIONS CONFIDENCE STEPS; do
  [[ -n ${!var:-} ]] && props+=("-Dloadtest.$(lower "$var")=${!var}")
done
[[ -n ${REQUEST_PATH:-} ]] && props+=("-Dloadtest.path=$REQUEST_PATH")
[[ -n ${NAME:-} ]] && props+=("-Dloadtest.testbed=$NAME")

log=$(mktemp)
since=$(mktemp) # the run's folder is newer than this file
trap 'rm -f "$log" "$since"' EXIT
# -pl loadtests -am: builds the modules the simulations use (tests skipped), then runs one
set +e
(cd "$ROOT" && mvn -B -Dstyle.color=never -pl loadtests -am verify -DskipTests -Djava.util.prefs.userRoot="$ROOT/loadtests/target/prefs" \
  "${props[@]}") 2>&1 | tee "$log" | awk '
    /^\[(INFO|WARNING)\]|^Download|^Progress|^[0-9:,.]+ \|-(INFO|WARN)/ { next } # Maven and logback chatter
    /^loadtest: nothing was sent/ { print; quiet = 1; next } # a bad input: its line, not the stack trace after it
    !quiet { print; fflush() }'
rc=${PIPESTATUS[0]} # Maven's: 1 when a Gatling assertion (the verdict) failed
set -e

if grep -q '^loadtest: ' "$log"; then
  exit 2 # the preflight said why, above; nothing was sent
fi
run=$(find "$RESULTS" -maxdepth 1 -type d -name "$(lower "$SIM")-*" -newer "$since" 2>/dev/null | sort | tail -n 1)
if [[ -z $run || ! -f $run/verdict.txt ]]; then
  grep -E '^\[ERROR\]' "$log" | head -n 20 >&2
  die "the run ended without a verdict (maven exit $rc)"
fi
ln -sfn "$run" "$RESULTS/latest" # the newest run, for make demo and the labs
echo
cat "$run/verdict.txt"
[[ -f $run/index.html ]] && echo "report: $run/index.html"
exit $((rc == 0 ? 0 : 1))
