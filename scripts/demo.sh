#!/usr/bin/env bash
# make demo: v1, v2 and the gateway as local processes, a few thousand requests through the
# gateway, and the observed split against the VirtualService weights. Stops what it started,
# also on Ctrl-C. Settings (environment): REQUESTS (2000), GATEWAY_PORT (18080),
# ADMIN_PORT (15021), KEEP=1 to leave everything running until Ctrl-C.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REQUESTS=${REQUESTS:-2000}
GATEWAY_PORT=${GATEWAY_PORT:-18080}
ADMIN_PORT=${ADMIN_PORT:-15021}
V1_PORT=18081 # as in manifests/local/workload-entries.yaml
V2_PORT=18082
WORK=$ROOT/target/demo
GATEWAY_JAR=$ROOT/gateway/target/gateway.jar
APP_JAR=$ROOT/sample-apps/target/sample-app.jar

say() { printf '\033[1mdemo:\033[0m %s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

[[ $REQUESTS =~ ^[0-9]+$ ]] && ((REQUESTS > 0)) || die "REQUESTS must be a positive number, not '$REQUESTS'"
command -v java >/dev/null || die "java is not installed (JDK 17 or newer)"
command -v curl >/dev/null || die "curl is not installed"

if [[ ! -f $GATEWAY_JAR || ! -f $APP_JAR ]]; then
  say "building the jars (mvn package, tests skipped; 'make test' runs them)"
  (cd "$ROOT" && mvn -q -B -DskipTests package) || die "the build failed"
fi

for port in "$V1_PORT" "$V2_PORT" "$GATEWAY_PORT" "$ADMIN_PORT"; do
  if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; then
    die "port $port is already in use (another demo still running?); free it or set GATEWAY_PORT/ADMIN_PORT"
  fi
done

rm -rf "$WORK"
mkdir -p "$WORK/config"
cp "$ROOT"/manifests/local/*.yaml "$WORK/config/"

PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start() { # name cmd...
  local name=$1
  shift
  "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
}

wait_for() { # name url pid
  local deadline=$((SECONDS + 60))
  until curl -sf -o /dev/null --max-time 1 "$2"; do
    kill -0 "$3" 2>/dev/null || { tail -n 20 "$WORK/$1.log" >&2; die "$1 exited before it was ready (log: $WORK/$1.log)"; }
    ((SECONDS < deadline)) || die "$1 not ready after 60 s (log: $WORK/$1.log)"
    sleep 0.2
  done
}

say "starting v1 on :$V1_PORT, v2 on :$V2_PORT and the gateway on :$GATEWAY_PORT (admin :$ADMIN_PORT)"
start v1 java -jar "$APP_JAR" --version v1 --port "$V1_PORT" --bind 127.0.0.1
V1_PID=${PIDS[-1]}
start v2 java -jar "$APP_JAR" --version v2 --port "$V2_PORT" --bind 127.0.0.1
V2_PID=${PIDS[-1]}
start gateway java -jar "$GATEWAY_JAR" --config "$WORK/config" --port "$GATEWAY_PORT" \
  --admin-port "$ADMIN_PORT" --bind 127.0.0.1 --access-log "$WORK/access.log"
GW_PID=${PIDS[-1]}
wait_for v1 "http://127.0.0.1:$V1_PORT/healthz" "$V1_PID"
wait_for v2 "http://127.0.0.1:$V2_PORT/healthz" "$V2_PID"
wait_for gateway "http://127.0.0.1:$ADMIN_PORT/healthz/ready" "$GW_PID"

# The weights as the gateway compiled them (from /config_dump), not as this script assumes.
curl -s "http://127.0.0.1:$ADMIN_PORT/config_dump" >"$WORK/config_dump.json"
read -r W1 W2 < <(awk -F'"' '
  /"cluster" :/ { c = $4 }
  /"weight" :/ { split($3, a, /[ :,]+/); w = a[2]
                 if (c ~ /\|v1\|/) v1 = w; if (c ~ /\|v2\|/) v2 = w }
  END { print (v1 == "" ? 0 : v1), (v2 == "" ? 0 : v2) }' "$WORK/config_dump.json")
((W1 + W2 > 0)) || die "the gateway has no v1/v2 route (see $WORK/config_dump.json and $WORK/gateway.log)"

say "sending $REQUESTS requests through the gateway (one keep-alive connection, curl)"
{
  for ((i = 0; i < REQUESTS; i++)); do
    printf 'url = "http://127.0.0.1:%s/demo/%d"\noutput = "/dev/null"\n' "$GATEWAY_PORT" "$i"
  done
} >"$WORK/curl.conf"
curl -s -K "$WORK/curl.conf" -w '%{http_code} %header{x-version}\n' >"$WORK/responses.txt" || true

awk -v w1="$W1" -v w2="$W2" -v n="$REQUESTS" '
  { total++; if ($1 != 200) bad++; else if ($2 == "v1") v1++; else if ($2 == "v2") v2++; else other++ }
  END {
    ok = v1 + v2
    p = w1 / (w1 + w2)
    printf "\n  %-4s %6s  %7s  %8s\n", "", "count", "share", "weight"
    printf "  %-4s %6d  %6.1f%%  %7.1f%%\n", "v1", v1, ok ? 100 * v1 / ok : 0, 100 * p
    printf "  %-4s %6d  %6.1f%%  %7.1f%%\n", "v2", v2, ok ? 100 * v2 / ok : 0, 100 * (1 - p)
    if (bad + other > 0) printf "  %d responses were not 200 from v1/v2\n", bad + other
    if (ok == 0) { print "\n  no response from v1 or v2"; exit 1 }
    if (p == 0 || p == 1) { ok_split = (p == 1 ? v2 == 0 : v1 == 0); z = 0 }
    else { z = (v1 / ok - p) / sqrt(p * (1 - p) / ok); ok_split = (z < 2.576 && z > -2.576) }
    printf "\n  %s: v1 share %.3f vs weight %.3f, z = %.2f (|z| < 2.576 at 99%% confidence, %d requests)\n",
      ok_split && bad + other == 0 ? "CONSISTENT WITH THE WEIGHTS" : "NOT CONSISTENT WITH THE WEIGHTS",
      v1 / ok, p, z, ok
    exit !(ok_split && bad + other == 0)
  }' "$WORK/responses.txt" && verdict=0 || verdict=$?

echo
say "each request was weighed on its own at the edge: access log $WORK/access.log, e.g."
sleep 0.3
tail -n 2 "$WORK/access.log" | sed 's/^/  /'
say "admin: http://127.0.0.1:$ADMIN_PORT/config_dump and /stats/prometheus (saved: $WORK/config_dump.json)"
if [[ ${KEEP:-0} == 1 ]]; then
  say "KEEP=1: everything keeps running; edit $WORK/config/virtual-service.yaml and watch; Ctrl-C stops"
  wait "$GW_PID" || true
fi
exit "$verdict"
