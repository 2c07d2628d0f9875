"""Generates contracts/asyncapi.yaml (AsyncAPI 3) from contracts/catalog.yaml and the event schemas (`make contracts`)."""
from __future__ import annotations

import json
from pathlib import Path

import yaml

from shared.contracts import contracts_dir
from shared.kafka_io import DLT_SUFFIX, topic_for

DESCRIPTION = """\
Every event is a CloudEvents 1.0 envelope in structured JSON mode (content type application/cloudevents+json,
schema contracts/envelope.schema.json); `subject` is the household id and is also the Kafka key, so one
household's events stay in order. Topics are `<owner_service>.<aggregate>`, written only by their owner.
A consumer that cannot apply an event sends it to `<topic>.dlt` with headers dlt.reason, dlt.error,
dlt.consumer, dlt.source.topic, dlt.source.partition, dlt.source.offset.
所有事件均为 CloudEvents 1.0 结构化 JSON；Kafka 键 = 家庭编号；每个主题只由其所属服务写入。
"""


def build(root: Path | None = None) -> dict:
    root = root or contracts_dir()
    catalog = yaml.safe_load((root / "catalog.yaml").read_text(encoding="utf-8"))["events"]
    schemas = {p.name.rsplit(".v", 1)[0]: p for p in sorted((root / "events").glob("*.schema.json"))}
    missing = sorted(set(schemas) ^ set(catalog))
    if missing:
        raise ValueError(f"catalog.yaml and contracts/events disagree on: {missing}")
    channels: dict = {}
    operations: dict = {}
    messages: dict = {}
    for event_type in sorted(catalog):
        entry = catalog[event_type]
        schema_path = schemas[event_type]
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
        example = f"examples/{schema_path.name.replace('.schema.json', '.json')}"
        messages[event_type] = {
            "name": event_type,
            "title": entry["title"],
            "summary": schema.get("title", event_type),
            "contentType": "application/cloudevents+json",
            "bindings": {"kafka": {"key": {"type": "string", "description": "household id (= CloudEvents subject)"}}},
            "payload": {"schemaFormat": "application/schema+json;version=draft-2020-12",
                        "schema": {"$ref": f"events/{schema_path.name}"}},
            "examples": [{"name": event_type, "payload": {"$ref": example}}],
        }
        topic = topic_for(event_type)
        sender = event_type.split(".")[0]
        for address, description in ((topic, f"{topic}: events of {sender}'s {topic.split('.')[1]} aggregate; key = household id."),
                                     (topic + DLT_SUFFIX, f"Dead letters of {topic}: original bytes plus dlt.* headers.")):
            channel = channels.setdefault(address, {"address": address, "description": description, "messages": {}})
            channel["messages"][event_type] = {"$ref": f"#/components/messages/{event_type}"}
            if address == topic:
                channel["bindings"] = {"kafka": {"partitions": 3, "replicas": 1}}
        operations[f"{sender}.send.{event_type}"] = {
            "action": "send", "channel": {"$ref": f"#/channels/{topic}"},
            "messages": [{"$ref": f"#/channels/{topic}/messages/{event_type}"}],
            "summary": f"{sender} publishes {event_type} from its outbox.", "x-sender": sender}
        for receiver in entry.get("receivers", []):
            operations[f"{receiver}.receive.{event_type}"] = {
                "action": "receive", "channel": {"$ref": f"#/channels/{topic}"},
                "messages": [{"$ref": f"#/channels/{topic}/messages/{event_type}"}],
                "summary": f"{receiver} consumes {event_type} (inbox: applied once).", "x-receiver": receiver}
    _partner_inbound(channels, operations, catalog)
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Rural low-income household platform — event backbone", "version": "1.0.0",
                 "description": DESCRIPTION},
        "defaultContentType": "application/cloudevents+json",
        "servers": {"local": {"host": "127.0.0.1:9092", "protocol": "kafka",
                              "description": "the single-node KRaft broker started by deploy/kafka.sh"}},
        "channels": dict(sorted(channels.items())),
        "operations": dict(sorted(operations.items())),
        "components": {"messages": messages},
    }


INBOUND = "partner.signal.{department}"


def _partner_inbound(channels: dict, operations: dict, catalog: dict) -> None:
    """Each partner department's own inbound topic: only its principal may write it (deploy/kafka/acls.json), so the
    topic proves the department of every record on it."""
    event_type = "partner.signal.reported"
    ref = {"$ref": f"#/components/messages/{event_type}"}
    for address, description in (
            (INBOUND, "partner.signal.<department>: one department's records, written only by its broker principal "
                      "partner-<department>; a record whose source_department is not the topic's is dead-lettered."),
            (INBOUND + DLT_SUFFIX, "Dead letters of partner.signal.<department>.")):
        channels[address] = {"address": address, "description": description, "messages": {event_type: ref},
                             "parameters": {"department": {"description": "a department of "
                                                           "deploy/kafka/partner-departments.txt"}}}
    channels[INBOUND]["bindings"] = {"kafka": {"partitions": 3, "replicas": 1}}
    message = {"$ref": f"#/channels/{INBOUND}/messages/{event_type}"}
    operations[f"partner.send.{event_type}.department"] = {
        "action": "send", "channel": {"$ref": f"#/channels/{INBOUND}"}, "messages": [message],
        "summary": "A partner department sends a record on its own inbound topic.", "x-sender": "partner"}
    for receiver in catalog[event_type].get("receivers", []):
        operations[f"{receiver}.receive.{event_type}.department"] = {
            "action": "receive", "channel": {"$ref": f"#/channels/{INBOUND}"}, "messages": [message],
            "summary": f"{receiver} consumes every department's inbound topic; the department is the topic's.",
            "x-receiver": receiver}


def render(doc: dict) -> str:
    return "# Generated by `make contracts` from contracts/catalog.yaml and contracts/events; do not edit by hand.\n" + \
        yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=120)


def export() -> None:
    path = contracts_dir() / "asyncapi.yaml"
    path.write_text(render(build()), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    export()
