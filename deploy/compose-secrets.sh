#!/usr/bin/env bash
# Makes the broker passwords of a container installation (docker-compose.yml), once: one random password per
# principal of deploy/kafka/acls.json (the broker, the admin, each service, each partner department) in
# var/compose-secrets/<principal>.password (not `make run`'s var/kafka-secrets). Existing files are kept. Compose mounts each service's own file as a secret
# (/run/secrets/<principal>.password); nothing here is committed. Compose (without swarm) bind-mounts a secret with the
# file's own owner and mode, and the containers run as other users, so the files are 0644 inside a folder only the
# operator may enter (0700): on the host the folder guards them, in a container only the mounted file is there.
#   deploy/compose-secrets.sh            (needs bash, python3 and openssl, nothing from the project's venv)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${COMPOSE_SECRETS:-$ROOT/var/compose-secrets}"
mkdir -p "$DIR" && chmod 700 "$DIR"
principals="$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); print("\n".join(t["super_users"] + list(t["principals"])))' "$ROOT/deploy/kafka/acls.json")"
made=0
for p in $principals; do
  f="$DIR/$p.password"
  [ -s "$f" ] && continue
  (umask 022; openssl rand -hex 24 > "$f")
  made=$((made + 1))
done
echo "broker passwords in $DIR ($made new)"
