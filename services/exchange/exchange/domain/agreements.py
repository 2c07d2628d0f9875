"""Data-sharing agreements as data: each JSON file under exchange/agreements/ (validated against
contracts/exchange/agreement.schema.json) entitles one partner department to one stream."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

SCHEMA_PATH = Path(__file__).resolve().parents[4] / "contracts" / "exchange" / "agreement.schema.json"


class AgreementInvalid(ValueError):
    pass


@dataclass(frozen=True)
class Source:
    """One internal event type the stream draws from, the partner event it becomes, and when it applies."""

    event_type: str
    emits: str  # the partner event's last part, e.g. household_enrolled
    when: tuple[dict, ...] = ()  # conditions on the source data: {"path", "any_of"}
    summary_en: str = ""
    summary_zh: str = ""


@dataclass(frozen=True)
class Agreement:
    id: str
    department: str
    stream: str
    title_en: str
    title_zh: str
    purpose: str
    purpose_en: str
    consent_purpose: str
    legal_basis: tuple[dict, ...]
    sources: tuple[Source, ...]
    fields: tuple[str, ...]  # the allow-list: dotted paths, `members[].x` for a member's field
    masking: dict = field(default_factory=dict)  # path -> rule
    member_filter: dict | None = None
    areas: tuple[str, ...] = ()  # division-code prefixes ("" = everywhere)
    valid_from: date = date.min
    valid_to: date | None = None
    version: int = 1

    def topic(self, prefix: str = "") -> str:
        return f"{prefix}partner.{self.department}.{self.stream}"

    def partner_type(self, source: Source) -> str:
        return f"partner.{self.department}.{self.stream}.{source.emits}"

    def partner_types(self) -> list[str]:
        return sorted({self.partner_type(s) for s in self.sources})

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def covers(self, division_code: str) -> bool:
        return any(division_code.startswith(a) for a in self.areas)


def _validator():
    from jsonschema import Draft202012Validator, FormatChecker

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return Draft202012Validator(schema, format_checker=FormatChecker())


def parse(doc: dict, where: str = "agreement") -> Agreement:
    errors = sorted(_validator().iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        raise AgreementInvalid(f"{where}: {'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}")
    from shared.broker_security import partner_departments

    if doc["department"] not in partner_departments():
        raise AgreementInvalid(f"{where}: department {doc['department']!r} is not in "
                               "deploy/kafka/partner-departments.txt")
    for path in doc.get("masking", {}):
        if path not in doc["fields"]:
            raise AgreementInvalid(f"{where}: masking names {path!r}, which is not an allowed field")
    return Agreement(
        id=doc["id"], department=doc["department"], stream=doc["stream"], title_en=doc["title"]["en"],
        title_zh=doc["title"]["zh"], purpose=doc["purpose"]["code"], purpose_en=doc["purpose"]["en"],
        consent_purpose=doc["consent_purpose"], legal_basis=tuple(doc["legal_basis"]),
        sources=tuple(Source(s["event_type"], s["emits"], tuple(s.get("when", [])), s.get("summary", {}).get("en", ""),
                             s.get("summary", {}).get("zh", "")) for s in doc["sources"]),
        fields=tuple(doc["fields"]), masking=dict(doc.get("masking", {})), member_filter=doc.get("member_filter"),
        areas=tuple(doc["areas"]), valid_from=date.fromisoformat(doc["valid_from"]),
        valid_to=date.fromisoformat(doc["valid_to"]) if doc.get("valid_to") else None, version=doc.get("version", 1))


def load_agreements(directory: Path) -> list[Agreement]:
    """Every *.json in the directory; refuses two agreements with one id or one topic."""
    agreements = [parse(json.loads(p.read_text(encoding="utf-8")), p.name) for p in sorted(directory.glob("*.json"))]
    ids = [a.id for a in agreements]
    topics = [a.topic() for a in agreements]
    if len(set(ids)) != len(ids) or len(set(topics)) != len(topics):
        raise AgreementInvalid(f"{directory}: two agreements share an id or a stream")
    return agreements
