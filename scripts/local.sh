#!/usr/bin/env bash
# make local | local-down | local-status: the local testbed in the background: v1 and v2 of the
# sample app and the gateway as processes on 127.0.0.1, the gateway watching target/local/config
# (a copy of manifests/local: edit it and the gateway follows). What it started is written to
# target/local/local.env (read by make loadtest and the labs) and target/local/*.pid.
#   scripts/local.sh up | down | status
# Settings (environment): GATEWAY_PORT (18080), STATUS_PORT (15021: readiness), ADMIN_PORT (15000:
# the config dump and metrics, Envoy's admin port in Istio). Everything listens on 127.0.0.1. v1 and
# v2 listen on 18081 and 18082, as manifests/local/workload-entries.yaml says.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GATEWAY_PORT=${GATEWAY_PORT:-18080}
STATUS_PORT=${STATUS_PORT:-15021}
ADMIN_PORT=${ADMIN_PORT:-15000}
V1_PORT=18081
V2_PORT=18082
WORK=$ROOT/target/local
ENV_FILE=$WORK/local.env
GATEWAY_JAR=$ROOT/gateway/target/gateway.jar
APP_JAR=$ROOT/sample-apps/target/sample-app.jar

say() { printf '\033[1mlocal:\033[0m %s\n' "$*"; }
die() { printf 'local: %s\n' "$*" >&2; exit "${2:-1}"; }

running() { # name: is the process of target/local/<name>.pid alive, and one running from target/local?
  local f=$WORK/$1.pid pid
  [[ -f $f ]] || return 1
  pid=$(cat "$f")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && ps -ww -p "$pid" -o command= 2>/dev/null | grep -q -F "target/local/"
}

stop() {
  local name pid stopped=0 f
  # gateway, v1, v2, and what a lab started beside them with its PID in target/local/<name>.pid
  for f in "$WORK"/*.pid; do
    [[ -e $f ]] || continue
    name=$(basename "$f" .pid)
    if running "$name"; then
      pid=$(cat "$WORK/$name.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; fi
      stopped=$((stopped + 1))
    fi
    rm -f "$WORK/$name.pid"
  done
  rm -f "$ENV_FILE"
  say "stopped $stopped process(es)"
}

wait_for() { # name url
  local deadline=$((SECONDS + 60))
  until curl -sf -o /dev/null --max-time 1 "$2"; do
    running "$1" || { tail -n 20 "$WORK/$1.log" >&2; die "$1 exited before it was ready (log: $WORK/$1.log)"; }
    ((SECONDS < deadline)) || die "$1 not ready after 60 s (log: $WORK/$1.log)"
    sleep 0.2
  done
}

start() { # name cmd...: in its own session, so that a Ctrl-C in the terminal does not reach it
  local name=$1
  shift
  new_session "$@" >"$WORK/$name.log" 2>&1 </dev/null &
  echo $! >"$WORK/$name.pid"
}

# new_session CMD...: exec CMD as the leader of a new session, keeping this process's PID: setsid(1)
# where it exists (Linux), perl's POSIX::setsid elsewhere (macOS has perl, not setsid); failing both,
# CMD ignores the terminal's INT, QUIT and HUP
new_session() {
  if command -v setsid >/dev/null; then exec setsid "$@"
  elif command -v perl >/dev/null; then exec perl -MPOSIX -e 'POSIX::setsid(); exec { $ARGV[0] } @ARGV or die "$ARGV[0]: $!\n"' "$@"
  else
    trap '' INT QUIT HUP
    exec "$@"
  fi
}

up() {
  command -v java >/dev/null || die "java is not installed (JDK 17 or newer)"
  command -v curl >/dev/null || die "curl is not installed"
  if running gateway || running v1 || running v2; then
    die "the local testbed is already running (make local-status; make local-down stops it)" 0
  fi
  if [[ ! -f $GATEWAY_JAR || ! -f $APP_JAR ]]; then
    say "building the jars (mvn package, tests skipped)"
    (cd "$ROOT" && mvn -q -B -DskipTests package -pl gateway,sample-apps -am) || die "the build failed"
  fi
  for port in "$V1_PORT" "$V2_PORT" "$GATEWAY_PORT" "$STATUS_PORT" "$ADMIN_PORT"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      die "port $port is already in use (another testbed or demo still running?); free it or set GATEWAY_PORT/STATUS_PORT/ADMIN_PORT"
    fi
  done
  rm -rf "$WORK"
  mkdir -p "$WORK/config"
  cp "$ROOT"/manifests/local/*.yaml "$WORK/config/"
  # the processes run copies: a build (make loadtest builds too) rewrites the jars, and a JVM whose
  # jar is rewritten under it fails on the next class it loads
  cp "$GATEWAY_JAR" "$WORK/gateway.jar"
  cp "$APP_JAR" "$WORK/sample-app.jar"
  start v1 java -jar "$WORK/sample-app.jar" --version v1 --port "$V1_PORT" --bind 127.0.0.1 --drain-duration 1s
  start v2 java -jar "$WORK/sample-app.jar" --version v2 --port "$V2_PORT" --bind 127.0.0.1 --drain-duration 1s
  # an OutOfMemoryError ends the gateway (as in the image) instead of leaving it half-alive; no load
  # balancer to leave here, so a short drain (stop waits 5 s)
  start gateway java -XX:+ExitOnOutOfMemoryError -jar "$WORK/gateway.jar" --config "$WORK/config" \
    --port "$GATEWAY_PORT" --status-port "$STATUS_PORT" --admin-port "$ADMIN_PORT" --admin-bind 127.0.0.1 \
    --bind 127.0.0.1 --access-log "$WORK/access.log" --drain-duration 1s --drain-in-flight-limit 3s
  wait_for v1 "http://127.0.0.1:$V1_PORT/healthz" || { stop >/dev/null; exit 1; }
  wait_for v2 "http://127.0.0.1:$V2_PORT/healthz" || { stop >/dev/null; exit 1; }
  wait_for gateway "http://127.0.0.1:$STATUS_PORT/healthz/ready" || { stop >/dev/null; exit 1; }
  cat >"$ENV_FILE" <<EOT
# the local testbed (scripts/local.sh); make local-down stops it
MESHBED_MODE=local
GATEWAY_URL=http://127.0.0.1:$GATEWAY_PORT
STATUS_URL=http://127.0.0.1:$STATUS_PORT/healthz/ready
ADMIN_URL=http://127.0.0.1:$ADMIN_PORT
CONFIG_DIR=$WORK/config
ACCESS_LOG=$WORK/access.log
V1_URL=http://127.0.0.1:$V1_PORT
V2_URL=http://127.0.0.1:$V2_PORT
EOT
  status
}

status() {
  if ! running gateway; then
    say "not running (make local starts it)"
    return 3
  fi
  say "gateway http://127.0.0.1:$GATEWAY_PORT (pid $(cat "$WORK/gateway.pid")), status http://127.0.0.1:$STATUS_PORT/healthz/ready, admin http://127.0.0.1:$ADMIN_PORT/config_dump"
  say "v1 http://127.0.0.1:$V1_PORT, v2 http://127.0.0.1:$V2_PORT; config: target/local/config; access log: target/local/access.log"
}

case ${1:-} in
  up) up ;;
  down) stop ;;
  status) status ;;
  *) die "usage: scripts/local.sh up | down | status" 2 ;;
esac
