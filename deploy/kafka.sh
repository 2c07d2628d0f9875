#!/usr/bin/env bash
# Fetches, formats, starts, waits for and stops a single-node Apache Kafka broker (KRaft combined mode) on loopback.
#   deploy/kafka.sh fetch | start | stop | status | acls | run
#   `run` formats (once) and runs the broker in the foreground, logging to stdout: the container's entry point
#   (docker-compose.yml), with KAFKA_LIBS=/opt/kafka/libs, KAFKA_LISTEN_HOST=0.0.0.0, KAFKA_ADVERTISED_HOST=kafka and
#   the passwords of broker and admin given as files in KAFKA_SECRETS (compose secrets), no Python needed there.
# Settings (environment): KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (KAFKA_PORT+1), KAFKA_DATA (var/kafka-$KAFKA_PORT), KAFKA_HEAP (512m),
#   KAFKA_CLUSTER_ID (random on a fresh data dir), KAFKA_LIBS (jars already fetched elsewhere: used as they are, never re-fetched).
# Security: KAFKA_SECURITY=plaintext (default) | sasl | sasl_ssl. With sasl the client listener on KAFKA_PORT is
#   SASL_PLAINTEXT with SCRAM-SHA-512, with sasl_ssl it is SASL_SSL (a certificate signed by a CA this script makes);
#   KAFKA_SSL_PORT adds a SASL_SSL listener next to a sasl one. The StandardAuthorizer is on with
#   allow.everyone.if.no.acl.found=false; principals and ACLs come from deploy/kafka/acls.json. Passwords (random, one
#   file per principal), the CA and the broker's key live in KAFKA_SECRETS (var/kafka-secrets), never committed.
#   `deploy/kafka.sh acls` applies the table again (e.g. after adding a partner department).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
LIBS="${KAFKA_LIBS:-$ROOT/var/kafka-libs}"
PORT="${KAFKA_PORT:-9092}"
CPORT="${KAFKA_CONTROLLER_PORT:-$((PORT + 1))}"
SECURITY="${KAFKA_SECURITY:-plaintext}"
# a broker formatted without SCRAM users cannot get its first ones later: a secured broker has its own data dir
if [ "$SECURITY" = plaintext ]; then DATA="${KAFKA_DATA:-$ROOT/var/kafka-$PORT}"; else DATA="${KAFKA_DATA:-$ROOT/var/kafka-$PORT-sasl}"; fi
HEAP="${KAFKA_HEAP:-512m}"
PIDFILE="$DATA/kafka.pid"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
SECRETS="${KAFKA_SECRETS:-$ROOT/var/kafka-secrets}"
SSL_PORT="${KAFKA_SSL_PORT:-}"
LISTEN_HOST="${KAFKA_LISTEN_HOST:-127.0.0.1}"        # where the client listener binds
ADVERTISED_HOST="${KAFKA_ADVERTISED_HOST:-127.0.0.1}" # the name clients are told to connect to
PY="${KAFKA_PYTHON:-$ROOT/.venv/bin/python}"
case "$SECURITY" in plaintext|sasl|sasl_ssl) ;; *) echo "KAFKA_SECURITY must be plaintext, sasl or sasl_ssl" >&2; exit 2 ;; esac
[ "$SECURITY" = sasl_ssl ] && SSL_PORT=""  # the main listener is SASL_SSL already

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

pyrun() { (cd "$ROOT"; . "$ROOT/deploy/env.sh"; "$PY" "$@"); }

# A random password per principal, made once (missing ones only). Without the project's Python (the broker's
# container) the files must be there already: compose mounts them as secrets.
credentials() {
  if [ -x "$PY" ]; then pyrun -m shared.broker_security credentials --secrets "$SECRETS"; return; fi
  local p; for p in broker admin; do
    [ -s "$SECRETS/$p.password" ] || { echo "$SECRETS/$p.password is missing (deploy/compose-secrets.sh makes it)" >&2; exit 1; }
  done
}

# A CA (kept in KAFKA_SECRETS) and the broker's key and certificate for 127.0.0.1/localhost, signed by it.
make_tls() {
  [ -f "$SECRETS/broker-keystore.pem" ] && [ -f "$SECRETS/ca.pem" ] && return 0
  command -v openssl >/dev/null || { echo "openssl is required for KAFKA_SECURITY=sasl_ssl" >&2; exit 1; }
  local d="$SECRETS" ; (umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=lowincome-platform Kafka CA" \
      -keyout "$d/ca.key" -out "$d/ca.pem" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$d/broker.key" -out "$d/broker.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$d/broker.ext"
    openssl x509 -req -in "$d/broker.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 825 \
      -extfile "$d/broker.ext" -out "$d/broker.pem" 2>/dev/null
    # Kafka's PEM key store: an unencrypted PKCS#8 key, then the certificate chain
    { openssl pkcs8 -topk8 -nocrypt -in "$d/broker.key"; cat "$d/broker.pem" "$d/ca.pem"; } >"$d/broker-keystore.pem"
    rm -f "$d/broker.csr" "$d/broker.ext")
  echo "made a CA ($SECRETS/ca.pem) and the broker's certificate"
}

# The listener settings appended to server.properties for sasl and sasl_ssl.
security_properties() {
  local pw; pw="$(cat "$SECRETS/broker.password")"
  local main=SASL_PLAINTEXT; [ "$SECURITY" = sasl_ssl ] && main=SASL_SSL
  local listeners="$main://$LISTEN_HOST:$PORT" advertised="$main://$ADVERTISED_HOST:$PORT"
  local map="$main:$main,CONTROLLER:SASL_PLAINTEXT" names="$main"
  if [ -n "$SSL_PORT" ]; then
    listeners="$listeners,SASL_SSL://$LISTEN_HOST:$SSL_PORT"; advertised="$advertised,SASL_SSL://$ADVERTISED_HOST:$SSL_PORT"
    map="$map,SASL_SSL:SASL_SSL"; names="$names SASL_SSL"
  fi
  cat <<PROPS
listeners=$listeners,CONTROLLER://127.0.0.1:$CPORT
advertised.listeners=$advertised
listener.security.protocol.map=$map
inter.broker.listener.name=$main
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
# the controller listener: SASL PLAIN with the broker's own static credential (SCRAM users live in the metadata log,
# which the controller must read first)
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="broker" password="$pw" user_broker="$pw";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:broker;User:admin
PROPS
  local n lower
  for n in $names; do
    lower="$(echo "$n" | tr 'A-Z' 'a-z')"
    echo "listener.name.$lower.sasl.enabled.mechanisms=SCRAM-SHA-512"
    echo "listener.name.$lower.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"broker\" password=\"$pw\";"
    if [ "$n" = SASL_SSL ]; then
      echo "listener.name.$lower.ssl.keystore.type=PEM"
      echo "listener.name.$lower.ssl.keystore.location=$SECRETS/broker-keystore.pem"
    fi
  done
  if [ "$main" = SASL_SSL ] || [ -n "$SSL_PORT" ]; then
    echo "ssl.truststore.type=PEM"; echo "ssl.truststore.location=$SECRETS/ca.pem"
    echo "ssl.endpoint.identification.algorithm=https"
  fi
}

# SCRAM users and ACLs of deploy/kafka/acls.json, as the admin principal.
acls() {
  [ "$SECURITY" = plaintext ] && { echo "KAFKA_SECURITY=plaintext: no users or ACLs to apply"; return 0; }
  local proto=SASL_PLAINTEXT; [ "$SECURITY" = sasl_ssl ] && proto=SASL_SSL
  pyrun -m shared.broker_security credentials --secrets "$SECRETS" >/dev/null
  pyrun -m shared.broker_security apply --bootstrap "127.0.0.1:$PORT" --secrets "$SECRETS" --protocol "$proto" \
    ${KAFKA_ACL_PREFIX:+--prefix "$KAFKA_ACL_PREFIX"} --cafile "$SECRETS/ca.pem"
}

fetch() {
  if [ -n "${KAFKA_LIBS:-}" ]; then
    ls "$LIBS"/kafka_*.jar >/dev/null 2>&1 || { echo "KAFKA_LIBS=$LIBS holds no Kafka jars" >&2; exit 1; }
    return 0
  fi
  if [ -f "$LIBS/.complete" ] && [ "$LIBS/.complete" -nt "$ROOT/deploy/kafka/pom.xml" ]; then return 0; fi
  command -v mvn >/dev/null || { echo "Maven (mvn) is required to fetch the Kafka jars from Maven Central" >&2; exit 1; }
  echo "fetching Kafka jars from Maven Central into $LIBS"
  rm -rf "$LIBS"
  mvn -q -B -f "$ROOT/deploy/kafka/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$LIBS" -DincludeScope=runtime
  touch "$LIBS/.complete"
}

prepare() {
  fetch
  mkdir -p "$DATA/logs"
  local mode=plain; [ "$SECURITY" = plaintext ] || mode=sasl
  if [ -f "$DATA/logs/meta.properties" ] && [ "$(cat "$DATA/security" 2>/dev/null || echo plain)" != "$mode" ]; then
    echo "$DATA was formatted for another KAFKA_SECURITY: remove it or choose another KAFKA_DATA" >&2; exit 1
  fi
  echo "$mode" > "$DATA/security"
  local scram=()
  if [ "$SECURITY" = plaintext ]; then
    sed -e "s#@PORT@#$PORT#g" -e "s#@CONTROLLER_PORT@#$CPORT#g" -e "s#@DATA_DIR@#$DATA/logs#g" \
        "$ROOT/deploy/kafka/server.properties.template" > "$DATA/server.properties"
  else
    credentials
    if [ "$SECURITY" = sasl_ssl ] || [ -n "$SSL_PORT" ]; then make_tls; fi
    (umask 077
     sed -e "s#@PORT@#$PORT#g" -e "s#@CONTROLLER_PORT@#$CPORT#g" -e "s#@DATA_DIR@#$DATA/logs#g" \
         -e '/^listeners=/d' -e '/^advertised.listeners=/d' -e '/^inter.broker.listener.name=/d' \
         -e '/^listener.security.protocol.map=/d' \
         "$ROOT/deploy/kafka/server.properties.template" > "$DATA/server.properties"
     security_properties >> "$DATA/server.properties")
    # the first users, in the bootstrap metadata: the broker itself and the admin that creates the others
    scram=(--add-scram "SCRAM-SHA-512=[name=broker,password=$(cat "$SECRETS/broker.password")]"
           --add-scram "SCRAM-SHA-512=[name=admin,password=$(cat "$SECRETS/admin.password")]")
  fi
  local cp="$LIBS/*"
  if [ ! -f "$DATA/logs/meta.properties" ]; then
    # URL-safe base64 of 16 random bytes, without padding: the form Kafka expects for a cluster id. It begins with
    # "-" one time in 64, so it is passed as --cluster-id=<id>: a separate argument would be read as an option.
    local cid; cid="${KAFKA_CLUSTER_ID:-$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')}"
    "$JAVA" -cp "$cp" -Dlog4j2.configurationFile="$ROOT/deploy/kafka/log4j2.yaml" \
      kafka.tools.StorageTool format --standalone --cluster-id="$cid" --config="$DATA/server.properties" \
      ${scram[@]+"${scram[@]}"} >"$DATA/format.log" 2>&1 \
      || { cat "$DATA/format.log" >&2; exit 1; }
  fi
}

start() {
  if listening; then echo "kafka already listening on 127.0.0.1:$PORT"; return 0; fi
  prepare
  local cp="$LIBS/*"
  echo "starting kafka on 127.0.0.1:$PORT (data in $DATA)"
  nohup "$JAVA" -Xms"$HEAP" -Xmx"$HEAP" -XX:+UseG1GC -Djava.awt.headless=true \
      -Dlog4j2.configurationFile="$ROOT/deploy/kafka/log4j2.yaml" \
      -cp "$cp" kafka.Kafka "$DATA/server.properties" >"$DATA/server.log" 2>&1 &
  echo $! > "$PIDFILE"
  for _ in $(seq 1 120); do
    if listening; then
      echo "kafka is up on 127.0.0.1:$PORT ($SECURITY)"
      if [ "$SECURITY" != plaintext ]; then acls || { echo "could not apply the broker's users and ACLs" >&2; exit 1; }; fi
      return 0
    fi
    if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then tail -50 "$DATA/server.log" >&2; echo "kafka exited" >&2; exit 1; fi
    sleep 0.5
  done
  tail -50 "$DATA/server.log" >&2; echo "kafka did not start listening within 60 s" >&2; exit 1
}

stop() {
  [ -f "$PIDFILE" ] || { echo "kafka on $PORT is not running (no pid file)"; return 0; }
  local pid; pid="$(cat "$PIDFILE")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$PIDFILE"; echo "kafka on $PORT stopped"
}

status() { if listening; then echo "kafka listening on 127.0.0.1:$PORT"; else echo "kafka not listening on $PORT"; exit 1; fi; }

# In the foreground, as a container's main process (its stop signal reaches the broker).
run() {
  prepare
  echo "running kafka on $LISTEN_HOST:$PORT, advertised as $ADVERTISED_HOST:$PORT ($SECURITY)"
  exec "$JAVA" -Xms"$HEAP" -Xmx"$HEAP" -XX:+UseG1GC -Djava.awt.headless=true \
      -Dlog4j2.configurationFile="$ROOT/deploy/kafka/log4j2.yaml" -cp "$LIBS/*" kafka.Kafka "$DATA/server.properties"
}

case "${1:-}" in
  fetch) fetch ;; start) start ;; stop) stop ;; status) status ;; acls) acls ;; run) run ;;
  *) echo "usage: $0 fetch|start|stop|status|acls|run" >&2; exit 2 ;;
esac
