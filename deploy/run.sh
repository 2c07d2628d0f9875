#!/usr/bin/env bash
# `make run`: starts the Kafka broker and every service (API + outbox relay + consumers in each process),
# waits for their health checks, prints their URLs, and stops everything on Ctrl-C.
# Each service uses its own SQLite file under var/ unless <SERVICE>_DATABASE_URL is set (e.g. PostgreSQL).
# Training mode is on: every service reads one training clock (var/training-clock.json, TRAINING_CLOCK_FILE), moved
# with `python -m shared.clock advance 7d` or `POST /dev/clock`. With DEMO=1 (`make demo`) the lifecycle demo runs
# once everything is ready (DEMO_HOUSEHOLDS, default 3); DEMO_STOP=1 stops everything after it.
# KAFKA_SECURITY=sasl|sasl_ssl: the broker with SCRAM users and ACLs (deploy/kafka.sh); each service connects as its own
# principal with its password file from var/kafka-secrets (made once per installation, never committed).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
. "$ROOT/deploy/env.sh"
PY="$ROOT/.venv/bin/python"
export KAFKA_PORT="${KAFKA_PORT:-9092}"
BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
export KAFKA_SECURITY="${KAFKA_SECURITY:-sasl}"
export KAFKA_SECRETS="${KAFKA_SECRETS:-$ROOT/var/kafka-secrets}"
case "$KAFKA_SECURITY" in sasl) KAFKA_PROTOCOL=SASL_PLAINTEXT ;; sasl_ssl) KAFKA_PROTOCOL=SASL_SSL ;; *) KAFKA_PROTOCOL=PLAINTEXT ;; esac
declare -A PORTS=([portal]=8000 [discovery]=8001 [identification]=8002 [assistance]=8003 [gradual_exit]=8004 [followup]=8005 [policy]=8006 [oversight]=8007 [exchange]=8008)
SERVICES=()
for svc in discovery identification assistance gradual_exit followup policy oversight exchange portal; do
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
# policy asks these services what a draft would change (GET /api/v1/rulesets/{id}/preview)
# the portal calls discovery and identification over HTTP
export PORTAL_DISCOVERY_URL="${PORTAL_DISCOVERY_URL:-http://127.0.0.1:${DISCOVERY_PORT:-${PORTS[discovery]}}}"
export PORTAL_IDENTIFICATION_URL="${PORTAL_IDENTIFICATION_URL:-http://127.0.0.1:${IDENTIFICATION_PORT:-${PORTS[identification]}}}"
for dep in assistance gradual_exit followup; do
  var="PORTAL_${dep^^}_URL"; pvar="${dep^^}_PORT"; export "$var=${!var:-http://127.0.0.1:${!pvar:-${PORTS[$dep]}}}"
done
export POLICY_PREVIEW_URLS="${POLICY_PREVIEW_URLS:-assistance=http://127.0.0.1:${ASSISTANCE_PORT:-${PORTS[assistance]}},identification=http://127.0.0.1:${IDENTIFICATION_PORT:-${PORTS[identification]}}}"
for svc in "${SERVICES[@]}"; do
  upper="${svc^^}"
  var="${upper}_KAFKA_BOOTSTRAP"; export "$var=${!var:-$BOOTSTRAP}"
  if [ "$KAFKA_PROTOCOL" != PLAINTEXT ]; then  # the service's own principal (deploy/kafka/acls.json)
    export "${upper}_KAFKA_SECURITY_PROTOCOL=$KAFKA_PROTOCOL" "${upper}_KAFKA_SASL_USERNAME=$svc" \
           "${upper}_KAFKA_SASL_PASSWORD_FILE=$KAFKA_SECRETS/$svc.password"
    [ "$KAFKA_PROTOCOL" = SASL_SSL ] && export "${upper}_KAFKA_SSL_CAFILE=$KAFKA_SECRETS/ca.pem"
  fi
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
# one demo officer per level (village, township, county), passwords generated on this machine and kept in
# var/portal-demo-officers.txt (mode 600); existing accounts are left as they are. The portal refuses this unless
# its dev token issuer or training mode is on, as here.
DEMO_OFFICERS=""
if [ -n "${PORTS[portal]:-}" ] && [ -f services/portal/portal/main.py ]; then
  if ! DEMO_OFFICERS="$("$PY" -m portal officers seed-demo 2>var/log/portal-officers.log)"; then
    echo "could not create the demo officers; see var/log/portal-officers.log" >&2; DEMO_OFFICERS=""
  fi
fi
if [ "${DEMO:-}" = "1" ]; then
  demo_args=(--households "${DEMO_HOUSEHOLDS:-3}")
  for svc in "${SERVICES[@]}"; do [ "$svc" = portal ] || demo_args+=("--${svc//_/-}=http://127.0.0.1:${PORTS[$svc]}"); done
  demo_rc=0
  "$PY" -m shared.demo "${demo_args[@]}" || demo_rc=$?
  if [ "${DEMO_STOP:-}" = "1" ]; then exit "$demo_rc"; fi
fi
echo
echo "The platform is running (Ctrl-C stops everything):"
if [ -n "${PORTS[portal]:-}" ] && [ -f services/portal/portal/main.py ]; then
  printf "  %-20s  http://127.0.0.1:%s   (citizens: what can I get, apply, where is my application)\n" portal "${PORTS[portal]}"
  printf "  %-20s  http://127.0.0.1:%s/staff/sign-in   (demo officers below, also in var/portal-demo-officers.txt)\n" \
    "staff sign-in" "${PORTS[portal]}"
  if [ -n "$DEMO_OFFICERS" ]; then
    printf "      %-9s %-14s %-24s %s\n" level login password area
    while IFS= read -r line; do echo "      $line"; done <<<"$DEMO_OFFICERS"
  fi
fi
echo "  Kafka broker          $BOOTSTRAP ($KAFKA_PROTOCOL$([ "$KAFKA_PROTOCOL" = PLAINTEXT ] || echo ", credentials in $KAFKA_SECRETS"))"
for svc in "${SERVICES[@]}"; do
  [ "$svc" = portal ] && continue
  printf "  %-20s  http://127.0.0.1:%s   (API docs: /docs, health: /healthz /readyz, metrics: /metrics)\n" "$svc" "${PORTS[$svc]}"
done
echo "  logs                  var/log/<service>.log"
echo "  training clock        $TRAINING_CLOCK_FILE  (python -m shared.clock show | advance 7d)"
# Stop everything as soon as any service exits on its own.
wait -n "${PIDS[@]}" || true
echo "a service exited; see var/log/" >&2
