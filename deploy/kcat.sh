#!/usr/bin/env bash
# kcat on a librdkafka that can sign in to Kafka 4 with SCRAM. Debian 12's kcat 1.7.1 links librdkafka 2.0.2, which a
# Kafka 4 broker refuses with SCRAM ("invalid credentials", edenhill/kcat#462; fixed in librdkafka 2.6.1). When the
# system's librdkafka is older than that, kcat runs on the librdkafka bundled in the confluent-kafka wheel (PyPI; a
# dev dependency of the project, or KCAT_LIBRDKAFKA=/path/to/librdkafka.so.1).
#   deploy/kcat.sh -b HOST:PORT -X security.protocol=SASL_PLAINTEXT -X sasl.mechanisms=SCRAM-SHA-512 ... -C -t TOPIC
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
command -v kcat >/dev/null || { echo "kcat is not installed (Debian: apt-get install kcat)" >&2; exit 127; }
version="$(kcat -V 2>/dev/null | sed -n 's/.*librdkafka \([0-9][0-9.]*\).*/\1/p' | head -1)"
if [ -n "$version" ] && [ "$(printf '%s\n2.6.1\n' "$version" | sort -V | head -1)" = 2.6.1 ]; then exec kcat "$@"; fi
lib="${KCAT_LIBRDKAFKA:-}"
if [ -z "$lib" ]; then
  py="${KCAT_PYTHON:-$ROOT/.venv/bin/python}"
  lib="$("$py" -c 'import glob, os, confluent_kafka; d = os.path.dirname(confluent_kafka.__file__) + ".libs"; print((glob.glob(d + "/librdkafka*.so*") or [""])[0])' 2>/dev/null || true)"
fi
[ -f "$lib" ] || { echo "librdkafka $version cannot use SCRAM with Kafka 4 and no newer one was found (pip install confluent-kafka, or KCAT_LIBRDKAFKA=...)" >&2; exit 1; }
dir="$(mktemp -d)"; trap 'rm -rf "$dir"' EXIT
ln -s "$lib" "$dir/librdkafka.so.1"
LD_LIBRARY_PATH="$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" kcat "$@"
