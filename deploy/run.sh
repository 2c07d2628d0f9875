#!/usr/bin/env bash
# `make run`: starts the Kafka broker and every service (API + outbox relay + consumers in each process),
# waits for their health checks, prints their URLs, and stops everything on Ctrl-C.
# Each service uses its own SQLite file under var/ unless <SERVICE>_DATABASE_URL is set (e.g. PostgreSQL).
# Training mode is on: every service reads one training clock (var/training-clock.json, TRAINING_CLOCK_FILE), moved
# with `python -m shared.clock advance 7d` or `POST /dev/clock`. With DEMO=1 (`make demo`) the lifecycle demo runs
# once everything is ready (DEMO_HOUSEHOLDS, default 3); DEMO_STOP=1 stops everything after it.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
. "$ROOT/deploy/env.sh"
PY="$ROOT/.venv/bin/python"
export KAFKA_PORT="${KAFKA_PORT:-9092}"
BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
declare -A PORTS=([discovery]=8001 [identification]=8002 [assistance]=8003 [gradual_exit]=8004 [followup]=8005 [policy]=8006)
SERVICES=()
for svc in discovery identification assistance gradual_exit followup policy; do
  [ -f "services/$svc/$svc/main.py" ] && SERVICES+=("$svc")
done
mkdir -p var/log
export TRAINING_CLOCK_FILE="${TRAINING_CLOCK_FILE:-$ROOT/var/training-clock.json}"
PIDS=()

cleanup() {
  trap - INT TERM EXIT
  echo; echo "stopping services..."
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  "$ROOT/deploy/kafka.sh" stop
}
trap cleanup INT TERM EXIT

"$ROOT/deploy/kafka.sh" start
for svc in "${SERVICES[@]}"; do
  upper="${svc^^}"
  var="${upper}_KAFKA_BOOTSTRAP"; export "$var=${!var:-$BOOTSTRAP}"
  # make run is a development setup: staff tokens come from POST /dev/tokens (never enable this in production)
  var="${upper}_DEV_TOKEN_ISSUER"; export "$var=${!var:-true}"
  # ...and a training setup: one shared clock a person can move past notices and observation periods
  var="${upper}_TRAINING_MODE"; export "$var=${!var:-true}"
  var="${upper}_TRAINING_CLOCK_FILE"; export "$var=${!var:-$TRAINING_CLOCK_FILE}"
  var="${upper}_PORT"; PORTS[$svc]="${!var:-${PORTS[$svc]}}"
  port="${PORTS[$svc]}"
  "$PY" -m "$svc" api --host 127.0.0.1 --port "$port" >"var/log/$svc.log" 2>&1 &
  PIDS+=($!)
done
for svc in "${SERVICES[@]}"; do
  port="${PORTS[$svc]}"
  for i in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then break; fi
    if [ "$i" -eq 120 ]; then echo "$svc did not become ready; see var/log/$svc.log" >&2; tail -20 "var/log/$svc.log" >&2; exit 1; fi
    sleep 0.5
  done
done
if [ "${DEMO:-}" = "1" ]; then
  demo_args=(--households "${DEMO_HOUSEHOLDS:-3}")
  for svc in "${SERVICES[@]}"; do demo_args+=("--${svc//_/-}=http://127.0.0.1:${PORTS[$svc]}"); done
  demo_rc=0
  "$PY" -m shared.demo "${demo_args[@]}" || demo_rc=$?
  if [ "${DEMO_STOP:-}" = "1" ]; then exit "$demo_rc"; fi
fi
echo
echo "The platform is running (Ctrl-C stops everything):"
echo "  Kafka broker          $BOOTSTRAP"
for svc in "${SERVICES[@]}"; do
  printf "  %-20s  http://127.0.0.1:%s   (API docs: /docs, health: /healthz /readyz, metrics: /metrics)\n" "$svc" "${PORTS[$svc]}"
done
echo "  logs                  var/log/<service>.log"
echo "  training clock        $TRAINING_CLOCK_FILE  (python -m shared.clock show | advance 7d)"
# Stop everything as soon as any service exits on its own.
wait -n "${PIDS[@]}" || true
echo "a service exited; see var/log/" >&2
