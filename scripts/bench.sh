#!/usr/bin/env bash
# make bench: ../shared/bench/edge-bench.sh with the gateway, 64 connections, 80:20, 30 s warm-up.
# Extra arguments go to edge-bench.sh; BENCH points at another copy of the harness.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=${BENCH:-$ROOT/../shared/bench/edge-bench.sh}
[[ -x $BENCH ]] || { echo "bench: no harness at $BENCH (set BENCH=path/to/edge-bench.sh)" >&2; exit 1; }
export GATEWAY_CMD="java -jar $ROOT/gateway/target/gateway.jar --port {port} --config {config} --status-port 0 --admin-port 0"
exec "$BENCH" --connections 64 --weights 80:20 --warmup 30 "$@"
