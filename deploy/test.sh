#!/usr/bin/env bash
# Runs the whole suite against a throw-away Kafka broker (own port and data dir) and the local PostgreSQL.
# By default (KAFKA_SECURITY=sasl; or sasl_ssl) it runs on a broker with SCRAM users and ACLs (throw-away credentials
# next to the data; KAFKA_SECURITY=plaintext for an open one):
# every service connects as its own principal, the tests' clients as admin (tests/fixtures.py).
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
. "$ROOT/deploy/env.sh"
export KAFKA_PORT="${TEST_KAFKA_PORT:-19092}"
export KAFKA_DATA="$ROOT/var/kafka-test-$KAFKA_PORT"
export KAFKA_SECURITY="${KAFKA_SECURITY:-sasl}"
# every test makes its own prefixed topics (thousands by the end, with their DLTs): 512m ran out at a fifth of the suite
export KAFKA_HEAP="${KAFKA_HEAP:-2g}"
export KAFKA_SECRETS="$KAFKA_DATA-secrets"
"$ROOT/deploy/kafka.sh" stop >/dev/null 2>&1 || true
rm -rf "$KAFKA_DATA" "$KAFKA_SECRETS"
"$ROOT/deploy/kafka.sh" start || exit 1
trap '"$ROOT/deploy/kafka.sh" stop >/dev/null 2>&1' EXIT
export TEST_KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
if [ "$KAFKA_SECURITY" != plaintext ]; then export TEST_KAFKA_SECURITY="$KAFKA_SECURITY" TEST_KAFKA_SECRETS="$KAFKA_SECRETS"; fi
# tests/integration/test_broker_security.py starts its own SASL broker on this port and the two after it
export SECURE_KAFKA_PORT="${SECURE_KAFKA_PORT:-$((KAFKA_PORT + 100))}"
export TEST_PG_URL="${TEST_PG_URL:-postgresql+psycopg://platform:platform@127.0.0.1:${PGPORT:-5432}}"
"$ROOT/.venv/bin/python" -m pytest "$@"
rc=$?
[ $rc -eq 5 ] && { echo "pytest collected no tests" >&2; exit 1; }
exit $rc
