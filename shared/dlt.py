"""Operations on dead-letter topics: list and inspect dead letters, and replay chosen ones to their source topic.

    python -m shared.dlt list   --bootstrap 127.0.0.1:9092 --topic discovery.application.dlt
    python -m shared.dlt replay --bootstrap 127.0.0.1:9092 --topic discovery.application.dlt --partition 0 --offset 3

On a broker with SASL it connects as the principal in KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_USERNAME,
KAFKA_SASL_PASSWORD_FILE (and KAFKA_SSL_CAFILE for SASL_SSL), e.g. the operators' `admin` (var/kafka-secrets).
"""
from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass

from kafka import KafkaConsumer
from kafka.structs import TopicPartition

from shared.kafka_io import DLT_SUFFIX, KafkaSecurity, make_producer, security_config


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    key: str | None
    reason: str
    error: str
    consumer: str
    source_topic: str
    source_partition: int
    source_offset: int
    event_id: str | None
    event_type: str | None


def _header(headers: dict, name: str) -> str:
    value = headers.get(name)
    return value.decode("utf-8", "replace") if value is not None else ""


def _to_dead_letter(record) -> DeadLetter:
    headers = dict(record.headers or [])
    event_id = event_type = None
    try:
        envelope = json.loads(record.value)
        event_id, event_type = envelope.get("id"), envelope.get("type")
    except Exception:  # the dead letter may be exactly the bytes that could not be decoded
        pass
    return DeadLetter(record.partition, record.offset, record.key.decode("utf-8", "replace") if record.key else None,
                      _header(headers, "dlt.reason"), _header(headers, "dlt.error"), _header(headers, "dlt.consumer"),
                      _header(headers, "dlt.source.topic"), int(_header(headers, "dlt.source.partition") or -1),
                      int(_header(headers, "dlt.source.offset") or -1), event_id, event_type)


def _read_all(bootstrap: str, topic: str, security: KafkaSecurity | None = None) -> list:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                             **security_config(security))
    partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    ends = consumer.end_offsets(partitions)
    records = []
    try:
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
    finally:
        consumer.close(autocommit=False)
    return sorted(records, key=lambda r: (r.partition, r.offset))


def list_dead_letters(bootstrap: str, topic: str, security: KafkaSecurity | None = None) -> list[DeadLetter]:
    if not topic.endswith(DLT_SUFFIX):
        raise ValueError(f"{topic} is not a dead-letter topic (it must end in {DLT_SUFFIX})")
    return [_to_dead_letter(r) for r in _read_all(bootstrap, topic, security)]


def replay(bootstrap: str, topic: str, selected: set[tuple[int, int]], security: KafkaSecurity | None = None) -> int:
    """Sends the chosen dead letters' original bytes back to their source topic; consumers' inboxes make a
    second replay of the same event harmless."""
    producer = make_producer(bootstrap, security=security)
    sent = 0
    try:
        for record in _read_all(bootstrap, topic, security):
            if (record.partition, record.offset) not in selected:
                continue
            letter = _to_dead_letter(record)
            producer.send(letter.source_topic or topic.removesuffix(DLT_SUFFIX), key=record.key, value=record.value,
                          headers=[("content-type", b"application/cloudevents+json"),
                                   ("dlt.replayed.from", f"{topic}/{record.partition}/{record.offset}".encode())])
            sent += 1
        producer.flush()
    finally:
        producer.close()
    return sent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Inspect and replay dead-lettered events")
    parser.add_argument("command", choices=["list", "replay"])
    parser.add_argument("--bootstrap", default="127.0.0.1:9092")
    parser.add_argument("--topic", required=True, help="the dead-letter topic, e.g. discovery.application.dlt")
    parser.add_argument("--partition", type=int, action="append", default=[])
    parser.add_argument("--offset", type=int, action="append", default=[])
    args = parser.parse_args(argv)
    if args.command == "list":
        for letter in list_dead_letters(args.bootstrap, args.topic):
            print(json.dumps(asdict(letter), ensure_ascii=False))
        return
    if len(args.partition) != len(args.offset) or not args.offset:
        parser.error("replay needs matching --partition P --offset O pairs")
    print(f"replayed {replay(args.bootstrap, args.topic, set(zip(args.partition, args.offset)))} dead letter(s)")


if __name__ == "__main__":
    main()
