#!/usr/bin/env bash
# Makes sure a local PostgreSQL server is installed (Debian's package), running, and has the platform's role.
#   deploy/postgres.sh ensure   -> prints nothing on success; the role is platform/platform on 127.0.0.1:${PGPORT:-5432}
set -euo pipefail
PGPORT="${PGPORT:-5432}"
ROLE="${PG_ROLE:-platform}"
PASS="${PG_PASSWORD:-platform}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }

reachable() { PGPASSWORD="$PASS" psql -h 127.0.0.1 -p "$PGPORT" -U "$ROLE" -d postgres -tAc 'select 1' >/dev/null 2>&1; }

ensure() {
  if reachable; then return 0; fi
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    echo "installing PostgreSQL from Debian's packages"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
  fi
  local ver; ver="$(ls /usr/lib/postgresql | sort -V | tail -1)"
  if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -q "^$ver main$"; then
    $SUDO pg_createcluster "$ver" main -p "$PGPORT" >/dev/null
  fi
  if ! pg_lsclusters -h | awk -v v="$ver" '$1==v && $2=="main" {print $4}' | grep -q online; then
    $SUDO pg_ctlcluster "$ver" main start
  fi
  for _ in $(seq 1 60); do
    as_postgres psql -p "$PGPORT" -tAc 'select 1' >/dev/null 2>&1 && break
    sleep 0.5
  done
  as_postgres psql -p "$PGPORT" -v ON_ERROR_STOP=1 -q <<SQL >/dev/null
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN
    CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASS';
  END IF;
END \$\$;
-- lets DROP DATABASE ... WITH (FORCE) end the role's own leftover sessions in test databases
GRANT pg_signal_backend TO $ROLE;
SQL
  reachable || { echo "PostgreSQL is running but $ROLE cannot log in on 127.0.0.1:$PGPORT" >&2; exit 1; }
}

case "${1:-}" in
  ensure) ensure ;;
  *) echo "usage: $0 ensure" >&2; exit 2 ;;
esac
