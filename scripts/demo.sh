#!/usr/bin/env bash
# make demo: the local testbed (v1, v2 and the gateway as processes on 127.0.0.1, scripts/local.sh),
# then EdgeSplit through the gateway (Gatling, scripts/loadtest.sh): the HTML report with a row per
# version, and the verdict line: the observed split against the VirtualService's weights.
# Stops what it started, also on Ctrl-C; a testbed that `make local` started stays up.
# Settings (environment): KEEP=1 leaves the testbed running (make local-down stops it);
# RATE, DURATION and the other settings of scripts/loadtest.sh.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
say() { printf '\033[1mdemo:\033[0m %s\n' "$*"; }

started=0
if "$ROOT/scripts/local.sh" status >/dev/null 2>&1; then
  say "using the local testbed that is already running (make local-status)"
else
  say "starting the local testbed: v1 :18081, v2 :18082, the gateway :18080 (status :15021, admin :15000)"
  "$ROOT/scripts/local.sh" up
  started=1
fi
# shellcheck disable=SC2317 # reached: the EXIT trap below calls it (shellcheck 0.9 does not see that)
cleanup() {
  if ((started)) && [[ ${KEEP:-0} != 1 ]]; then "$ROOT/scripts/local.sh" down >/dev/null; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "EdgeSplit: Gatling through the gateway; the expected split is read from target/local/config/virtual-service.yaml"
rc=0
SCENARIO=edge MODE=local "$ROOT/scripts/loadtest.sh" || rc=$?

echo
say "each request was weighed on its own at the edge: target/local/access.log, e.g."
tail -n 2 "$ROOT/target/local/access.log" 2>/dev/null | sed 's/^/  /'
say "the weights as the gateway compiled them: curl -s http://127.0.0.1:15000/config_dump"
if [[ ${KEEP:-0} == 1 ]]; then
  say "KEEP=1: the testbed keeps running; edit target/local/config/virtual-service.yaml, run make loadtest, then make local-down"
fi
latest=$ROOT/loadtests/target/gatling/latest
if ((rc != 2)) && [[ -f $latest/verdict.txt ]]; then
  echo
  cat "$latest/verdict.txt"
  echo "report: $(real_path "$latest")/index.html"
fi
exit "$rc"
