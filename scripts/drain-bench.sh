#!/usr/bin/env bash
# linux-only: wrk and /proc
# make drain-bench: does a SIGTERM lose requests under load? Starts v1, v2 and the gateway from the
# built jars on 127.0.0.1, runs wrk (with the edge-bench count script) and sends the gateway SIGTERM
# AFTER seconds in. Every request must get a complete 2xx answer, or be refused before it was sent:
# wrk's read errors and timeouts (a request sent, no answer) must be 0; its connect and write errors
# count the reconnects refused once the port has closed (wrk reports a refused non-blocking connect
# as a write error on the request it never sent).
#
#   DURATION (14)  AFTER (4)  CONNECTIONS (32)  THREADS (2)  PORT (19080)  V1_PORT/V2_PORT (19081/19082)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${DURATION:-14} AFTER=${AFTER:-4} CONNECTIONS=${CONNECTIONS:-32} THREADS=${THREADS:-2}
PORT=${PORT:-19080} V1_PORT=${V1_PORT:-19081} V2_PORT=${V2_PORT:-19082} STATUS_PORT=${STATUS_PORT:-19021}
COUNT=${COUNT:-$ROOT/../shared/bench/count.lua}
GATEWAY_JAR=$ROOT/gateway/target/gateway.jar APP_JAR=$ROOT/sample-apps/target/sample-app.jar
for tool in wrk curl java; do
  command -v "$tool" >/dev/null || { echo "drain-bench: $tool is missing (apt-get install -y wrk curl)" >&2; exit 1; }
done
for jar in "$GATEWAY_JAR" "$APP_JAR"; do
  [[ -f $jar ]] || { echo "drain-bench: $jar is missing: make build" >&2; exit 1; }
done
WORK=$(mktemp -d /tmp/drain-bench.XXXXXX)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

mkdir -p "$WORK/config"
cp "$ROOT"/manifests/local/*.yaml "$WORK/config/"
sed -i "s/18081/$V1_PORT/; s/18082/$V2_PORT/" "$WORK/config/workload-entries.yaml"
java -Xmx64m -jar "$APP_JAR" --version v1 --port "$V1_PORT" --bind 127.0.0.1 >"$WORK/v1.log" 2>&1 &
pids+=($!)
java -Xmx64m -jar "$APP_JAR" --version v2 --port "$V2_PORT" --bind 127.0.0.1 >"$WORK/v2.log" 2>&1 &
pids+=($!)
java -Xmx256m -jar "$GATEWAY_JAR" --config "$WORK/config" --port "$PORT" --status-port "$STATUS_PORT" \
  --admin-port 0 --bind 127.0.0.1 --access-log "$WORK/access.log" >"$WORK/gateway.log" 2>&1 &
gateway=$!
pids+=("$gateway")
for _ in $(seq 150); do
  curl -sf -o /dev/null "http://127.0.0.1:$STATUS_PORT/healthz/ready" && break
  sleep 0.2
done
curl -sf -o /dev/null "http://127.0.0.1:$STATUS_PORT/healthz/ready" ||
  { echo "drain-bench: the gateway did not get ready; its log:" >&2; tail -20 "$WORK/gateway.log" >&2; exit 1; }
echo "drain-bench: warm-up (5 s)"
wrk -t"$THREADS" -c"$CONNECTIONS" -d5s "http://127.0.0.1:$PORT/" >/dev/null
sleep 1
before=$(wc -l <"$WORK/access.log")
echo "drain-bench: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, SIGTERM to the gateway after ${AFTER} s"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -s "$COUNT" "http://127.0.0.1:$PORT/" >"$WORK/wrk.txt" 2>&1 &
load=$!
sleep "$AFTER"
start=$(date +%s%N)
kill -TERM "$gateway"
ready=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$STATUS_PORT/healthz/ready" || true)
rc=0
wait "$gateway" || rc=$?
stopped_ms=$((($(date +%s%N) - start) / 1000000))
wait "$load"
logged=$(($(wc -l <"$WORK/access.log") - before))
read -r _ requests _ _ _ _ non2xx _ _ _ _ < <(grep '^EDGEBENCH ' "$WORK/wrk.txt")
errors=$(grep -o 'Socket errors:.*' "$WORK/wrk.txt" || echo "Socket errors: connect 0, read 0, write 0, timeout 0")
read_errors=$(sed -E 's/.*read ([0-9]+).*/\1/' <<<"$errors")
timeouts=$(sed -E 's/.*timeout ([0-9]+).*/\1/' <<<"$errors")
echo "drain-bench: readiness right after SIGTERM: $ready; the gateway exited $rc after $stopped_ms ms"
echo "drain-bench: $requests responses, $non2xx not 2xx; access log lines $logged; $errors"
if [[ $non2xx == 0 && $read_errors == 0 && $timeouts == 0 ]]; then
  echo "drain-bench: PASS: every request answered 2xx or refused before it was sent; files in $WORK"
else
  echo "drain-bench: FAIL: requests lost or failed in the drain; files in $WORK" >&2
  exit 1
fi
