#!/usr/bin/env bash
# Runs the whole suite against a throw-away Kafka broker (own port and data dir) and the local PostgreSQL.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
. "$ROOT/deploy/env.sh"
export KAFKA_PORT="${TEST_KAFKA_PORT:-19092}"
export KAFKA_DATA="$ROOT/var/kafka-test-$KAFKA_PORT"
"$ROOT/deploy/kafka.sh" stop >/dev/null 2>&1 || true
rm -rf "$KAFKA_DATA"
"$ROOT/deploy/kafka.sh" start || exit 1
trap '"$ROOT/deploy/kafka.sh" stop >/dev/null 2>&1' EXIT
export TEST_KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
export TEST_PG_URL="${TEST_PG_URL:-postgresql+psycopg://platform:platform@127.0.0.1:${PGPORT:-5432}}"
"$ROOT/.venv/bin/python" -m pytest "$@"
rc=$?
[ $rc -eq 5 ] && { echo "pytest collected no tests" >&2; exit 1; }
exit $rc
