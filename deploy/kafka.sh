#!/usr/bin/env bash
# Fetches, formats, starts, waits for and stops a single-node Apache Kafka broker (KRaft combined mode) on loopback.
#   deploy/kafka.sh fetch | start | stop | status
# Settings (environment): KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (KAFKA_PORT+1), KAFKA_DATA (var/kafka-$KAFKA_PORT), KAFKA_HEAP (512m),
#   KAFKA_CLUSTER_ID (random on a fresh data dir), KAFKA_LIBS (jars already fetched elsewhere: used as they are, never re-fetched).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
LIBS="${KAFKA_LIBS:-$ROOT/var/kafka-libs}"
PORT="${KAFKA_PORT:-9092}"
CPORT="${KAFKA_CONTROLLER_PORT:-$((PORT + 1))}"
DATA="${KAFKA_DATA:-$ROOT/var/kafka-$PORT}"
HEAP="${KAFKA_HEAP:-512m}"
PIDFILE="$DATA/kafka.pid"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

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

start() {
  fetch
  if listening; then echo "kafka already listening on 127.0.0.1:$PORT"; return 0; fi
  mkdir -p "$DATA/logs"
  sed -e "s#@PORT@#$PORT#g" -e "s#@CONTROLLER_PORT@#$CPORT#g" -e "s#@DATA_DIR@#$DATA/logs#g" \
      "$ROOT/deploy/kafka/server.properties.template" > "$DATA/server.properties"
  local cp="$LIBS/*"
  if [ ! -f "$DATA/logs/meta.properties" ]; then
    # URL-safe base64 of 16 random bytes, without padding: the form Kafka expects for a cluster id. It begins with
    # "-" one time in 64, so it is passed as --cluster-id=<id>: a separate argument would be read as an option.
    local cid; cid="${KAFKA_CLUSTER_ID:-$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')}"
    "$JAVA" -cp "$cp" -Dlog4j2.configurationFile="$ROOT/deploy/kafka/log4j2.yaml" \
      kafka.tools.StorageTool format --standalone --cluster-id="$cid" --config="$DATA/server.properties" \
      >"$DATA/format.log" 2>&1 \
      || { cat "$DATA/format.log" >&2; exit 1; }
  fi
  echo "starting kafka on 127.0.0.1:$PORT (data in $DATA)"
  nohup "$JAVA" -Xms"$HEAP" -Xmx"$HEAP" -XX:+UseG1GC -Djava.awt.headless=true \
      -Dlog4j2.configurationFile="$ROOT/deploy/kafka/log4j2.yaml" \
      -cp "$cp" kafka.Kafka "$DATA/server.properties" >"$DATA/server.log" 2>&1 &
  echo $! > "$PIDFILE"
  for _ in $(seq 1 120); do
    if listening; then echo "kafka is up on 127.0.0.1:$PORT"; return 0; fi
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

case "${1:-}" in
  fetch) fetch ;; start) start ;; stop) stop ;; status) status ;;
  *) echo "usage: $0 fetch|start|stop|status" >&2; exit 2 ;;
esac
