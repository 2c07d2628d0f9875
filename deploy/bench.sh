#!/usr/bin/env bash
# `make bench`: one broker (its own port and data dir), the local PostgreSQL, then every benchmark in bench/.
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
. "$ROOT/deploy/env.sh"
export KAFKA_PORT="${BENCH_KAFKA_PORT:-29092}"
export KAFKA_DATA="$ROOT/var/kafka-bench"
"$ROOT/deploy/kafka.sh" stop >/dev/null 2>&1 || true
rm -rf "$KAFKA_DATA"
"$ROOT/deploy/kafka.sh" start || exit 1
trap '"$ROOT/deploy/kafka.sh" stop >/dev/null 2>&1' EXIT
export BENCH_KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
export BENCH_PG_URL="${BENCH_PG_URL:-postgresql+psycopg://platform:platform@127.0.0.1:${PGPORT:-5432}}"
"$ROOT/.venv/bin/python" -m bench.pipeline "$@" || exit 1
echo
"$ROOT/.venv/bin/python" -m bench.screening --records "${BENCH_SIGNALS:-1000000}" || exit 1
echo
"$ROOT/.venv/bin/python" -m bench.matching || exit 1
echo
"$ROOT/.venv/bin/python" -m bench.portal --requests "${BENCH_PAGE_REQUESTS:-200}"
