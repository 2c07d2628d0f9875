"""Generates the partners' contract from the data-sharing agreements (`make contracts`): one JSON Schema and one
example per partner event (contracts/partners/events, contracts/partners/examples; the examples are the internal
examples projected under the agreement) and contracts/asyncapi-partners.yaml (AsyncAPI 3)."""
from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "services" / "exchange"))

from exchange.bootstrap import AGREEMENTS_DIR  # noqa: E402
from exchange.domain.agreements import Agreement, load_agreements  # noqa: E402
from exchange.domain.consent import NO_DECISIONS  # noqa: E402
from exchange.domain.projection import Roster, SourceEvent, project  # noqa: E402
from shared.contracts import contracts_dir  # noqa: E402
from shared.kafka_io import DLT_SUFFIX  # noqa: E402

URN = "urn:lowincome-platform:schema:{}:1"
EXAMPLE_DAY = date(2026, 12, 15)


def _id(body17: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body17 + "10X98765432"[sum(int(c) * w for c, w in zip(body17, weights)) % 11]


# The household the examples are about: a working-age couple, their pupil and a grandparent.
EXAMPLE_ROSTER = Roster((
    {"name": "张三", "id_number": _id("53010219850312003"), "relationship": "self", "labour_capacity": "full"},
    {"name": "李四", "id_number": _id("53010219870820004"), "relationship": "spouse", "labour_capacity": "partial"},
    {"name": "张小明", "id_number": _id("53010220140901005"), "relationship": "child", "labour_capacity": "none"},
    {"name": "张老汉", "id_number": _id("53010219490101001"), "relationship": "parent", "labour_capacity": "none"},
))
MEMBER_FIELDS = {
    "name": {"type": "string", "minLength": 1, "maxLength": 50},
    "id_number": {"type": "string", "pattern": "^[0-9]{17}[0-9X]$", "description": "18-character resident ID number"},
    "relationship": {"enum": ["self", "spouse", "child", "parent", "grandparent", "grandchild", "sibling", "other"]},
    "labour_capacity": {"enum": ["full", "partial", "none", "unknown"],
                        "description": "as last recorded; unknown until a caseworker records it"},
    "birth_date": {"type": "string", "format": "date", "description": "from the resident ID number"},
}
FIXED = {
    "household_id": {"type": "string", "minLength": 1, "maxLength": 64,
                     "description": "the platform's household id (also the CloudEvents subject and the Kafka key)"},
    "agreement": {"type": "object", "required": ["id", "version", "purpose"], "additionalProperties": False,
                  "properties": {"id": {"type": "string"}, "version": {"type": "integer", "minimum": 1},
                                 "purpose": {"type": "string"}},
                  "description": "the data-sharing agreement this event is sent under"},
    "source_event_type": {"type": "string", "description": "the internal event it was projected from"},
    "rule_version": {"type": "string"},
}


def _internal_schema(event_type: str) -> dict:
    return json.loads((contracts_dir() / "events" / f"{event_type}.v1.schema.json").read_text(encoding="utf-8"))


def _resolve(schema: dict, node: dict) -> dict:
    while isinstance(node, dict) and node.get("$ref", "").startswith("#/$defs/"):
        node = schema["$defs"][node["$ref"].split("/")[-1]]
    return node


def partner_schema(agreement: Agreement, partner_type: str) -> dict:
    sources = [s for s in agreement.sources if agreement.partner_type(s) == partner_type]
    props: dict = dict(FIXED)
    member_props: dict = {}
    for path in agreement.fields:
        head, _, sub = path.partition("[].")
        masked = agreement.masking.get(path)
        if sub:
            base = MEMBER_FIELDS.get(sub, {})
            member_props[sub] = ({"type": "string", "description": f"masked ({masked})"} if masked else base)
            continue
        if path in FIXED:
            continue
        found = None
        for s in sources:
            internal = _internal_schema(s.event_type)
            if path in internal.get("properties", {}):
                found = _resolve(internal, internal["properties"][path])
                break
        if found is None:
            continue  # not carried by this event type
        props[path] = {"type": "string", "description": f"masked ({masked})"} if masked else found
    if member_props:
        props["members"] = {"type": "array", "items": {"type": "object", "additionalProperties": False,
                                                       "properties": member_props},
                            "description": "the household members this department is entitled to"
                                           + (" (filtered: " + json.dumps(agreement.member_filter, ensure_ascii=False)
                                              + ")" if agreement.member_filter else "")}
    source = sources[0]
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": URN.format(partner_type),
            "title": f"{partner_type} v1: {source.summary_en or agreement.title_en} / {source.summary_zh or agreement.title_zh}",
            "description": f"Sent under agreement {agreement.id} ({agreement.purpose_en}); generated from "
                           f"services/exchange/exchange/agreements by `make contracts`.",
            "type": "object", "required": ["household_id", "agreement", "source_event_type", "rule_version"],
            "additionalProperties": False, "properties": props}


def partner_example(agreement: Agreement, partner_type: str) -> dict | None:
    for s in agreement.sources:
        if agreement.partner_type(s) != partner_type:
            continue
        internal = json.loads((contracts_dir() / "examples" / f"{s.event_type}.v1.json").read_text(encoding="utf-8"))
        data = {k: v for k, v in internal["data"].items() if k != "members"} | (
            {"members": [dict(m) for m in EXAMPLE_ROSTER.members[:1]]} if "members" in internal["data"] else {})
        for cond in s.when:  # the example must be one the stream carries
            if cond["path"] in data and not isinstance(data[cond["path"]], list):
                data[cond["path"]] = cond["any_of"][0]
            elif cond["path"] in data:
                data[cond["path"]] = sorted(set(data[cond["path"]]) | {cond["any_of"][0]})
        ev = SourceEvent(internal["id"], s.event_type, internal["subject"], data)
        for pe in project(agreement, ev, EXAMPLE_ROSTER, NO_DECISIONS, EXAMPLE_DAY):
            if pe.type == partner_type:
                return {"id": f"ex-{partner_type}", "source": "/services/exchange", "type": partner_type,
                        "specversion": "1.0", "time": internal["time"], "subject": pe.subject,
                        "datacontenttype": "application/json", "dataschema": URN.format(partner_type),
                        "correlationid": internal.get("correlationid", internal["id"]),
                        "causationid": internal["id"], "data": pe.data}
    return None


DESCRIPTION = """\
The streams partner departments are entitled to under data-sharing agreements. Each topic
`partner.<department>.<stream>` is written only by the exchange service and read only by that department's
principal (`partner-<department>`, SASL/SCRAM-SHA-512). Every record is a CloudEvents 1.0 envelope in structured
JSON mode (contracts/partners/envelope.schema.json); `subject` and the Kafka key are the household id, so one
household's events stay in order. A record carries only the fields its agreement allows, masked as it says; a
household that withdrew consent for the agreement's purpose is not sent. Read from the beginning with your own
consumer group `partner.<department>.<anything>`; deduplicate on the CloudEvents `id`.
协作部门按数据共享协议订阅的数据流：每个主题仅由 exchange 写入、仅由对应部门读取；只含协议允许的字段。
"""


def build(agreements: list[Agreement] | None = None) -> tuple[dict, dict[str, dict], dict[str, dict]]:
    agreements = agreements if agreements is not None else load_agreements(AGREEMENTS_DIR)
    schemas, examples = {}, {}
    channels, operations, messages = {}, {}, {}
    for a in sorted(agreements, key=lambda a: a.id):
        topic = a.topic()
        channel = {"address": topic, "title": f"{a.title_en} / {a.title_zh}",
                   "description": f"Agreement {a.id} v{a.version} with {a.department}: {a.purpose_en}. Legal basis: "
                                  + "; ".join(f"{b['document_number']} {b['title']} <{b['link']}>" for b in a.legal_basis)
                                  + f". Valid {a.valid_from} to {a.valid_to or 'open-ended'}; areas "
                                  + ", ".join(x or "(all)" for x in a.areas) + f"; consent purpose {a.consent_purpose}.",
                   "messages": {}, "bindings": {"kafka": {"partitions": 3, "replicas": 1}},
                   "x-agreement": a.id, "x-department": a.department}
        for partner_type in a.partner_types():
            schemas[partner_type] = partner_schema(a, partner_type)
            example = partner_example(a, partner_type)
            if example is not None:
                examples[partner_type] = example
            messages[partner_type] = {
                "name": partner_type, "title": schemas[partner_type]["title"].split(": ", 1)[1],
                "contentType": "application/cloudevents+json",
                "bindings": {"kafka": {"key": {"type": "string", "description": "household id (= CloudEvents subject)"}}},
                "payload": {"schemaFormat": "application/schema+json;version=draft-2020-12",
                            "schema": {"$ref": f"partners/events/{partner_type}.v1.schema.json"}},
                "examples": [{"name": partner_type, "payload": {"$ref": f"partners/examples/{partner_type}.v1.json"}}]
                if example is not None else []}
            channel["messages"][partner_type] = {"$ref": f"#/components/messages/{partner_type}"}
        channels[topic] = channel
        refs = [{"$ref": f"#/channels/{topic}/messages/{t}"} for t in a.partner_types()]
        operations[f"exchange.send.{topic}"] = {"action": "send", "channel": {"$ref": f"#/channels/{topic}"},
                                                "messages": refs, "x-sender": "exchange",
                                                "summary": f"exchange publishes {a.department}'s {a.stream} stream."}
        operations[f"{a.department}.receive.{topic}"] = {
            "action": "receive", "channel": {"$ref": f"#/channels/{topic}"}, "messages": refs,
            "x-receiver": f"partner-{a.department}",
            "summary": f"{a.department} reads {topic} as principal partner-{a.department}."}
        channels[topic + DLT_SUFFIX] = {"address": topic + DLT_SUFFIX, "messages": {},
                                        "description": f"Reserved dead-letter topic of {topic} (exchange only)."}
    doc = {"asyncapi": "3.0.0",
           "info": {"title": "Partner streams 协作部门数据流", "version": "1.0.0", "description": DESCRIPTION},
           "defaultContentType": "application/cloudevents+json",
           "servers": {"broker": {"host": "kafka:9092", "protocol": "kafka", "security": [{"$ref": "#/components/securitySchemes/scram"}]}},
           "channels": channels, "operations": operations,
           "components": {"messages": messages, "securitySchemes": {"scram": {
               "type": "scramSha512", "description": "principal partner-<department>; password from the operator"}}}}
    return doc, schemas, examples


def write(root: Path | None = None) -> None:
    root = root or contracts_dir()
    doc, schemas, examples = build()
    for d in ("events", "examples"):
        (root / "partners" / d).mkdir(parents=True, exist_ok=True)
        for old in (root / "partners" / d).glob("*.json"):
            old.unlink()
    for t, s in schemas.items():
        (root / "partners" / "events" / f"{t}.v1.schema.json").write_text(
            json.dumps(s, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for t, e in examples.items():
        (root / "partners" / "examples" / f"{t}.v1.json").write_text(
            json.dumps(e, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (root / "asyncapi-partners.yaml").write_text(
        "# Generated by `make contracts` (python -m tests.contract.export_asyncapi_partners) from the agreements in\n"
        "# services/exchange/exchange/agreements; do not edit.\n"
        + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120), encoding="utf-8")


if __name__ == "__main__":
    write()
    print("wrote contracts/asyncapi-partners.yaml and contracts/partners/{events,examples}")
