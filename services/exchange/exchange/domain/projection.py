"""The projection: (agreement, internal event, household roster, consent state, date) -> the partner events it
entitles, minimised to the agreement's allow-list and masked as it says. Pure: no I/O, no clock."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from exchange.domain.agreements import Agreement, Source
from exchange.domain.consent import ConsentState

RULE_VERSION = "EX-PROJECTION-2026.1"


@dataclass(frozen=True)
class SourceEvent:
    id: str
    type: str
    subject: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Roster:
    """What earlier events told about the household: its members (name, id_number, relationship, labour_capacity)."""

    members: tuple[dict, ...] = ()


@dataclass(frozen=True)
class PartnerEvent:
    type: str
    subject: str
    data: dict[str, Any]
    source: Source = field(compare=False)


def birth_date(id_number: str) -> date | None:
    """The birth date in an 18-character resident ID number (digits 7-14), None if it is not a date."""
    try:
        return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except (ValueError, IndexError, TypeError):
        return None


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _members(data: dict, roster: Roster) -> list[dict]:
    """The event's own members if it carries them, else the roster's; each with birth_date and labour_capacity."""
    listed = data.get("members")
    people = list(listed) if isinstance(listed, list) and listed else [dict(m) for m in roster.members]
    known = {m.get("id_number"): m for m in roster.members if m.get("id_number")}
    out = []
    for m in people:
        m = {**known.get(m.get("id_number"), {}), **m}
        born = birth_date(m.get("id_number", ""))
        m["birth_date"] = born.isoformat() if born else None
        m.setdefault("labour_capacity", "unknown")
        out.append(m)
    return out


def member_passes(member: dict, rule: dict | None, day: date) -> bool:
    if not rule:
        return True
    born = birth_date(member.get("id_number", ""))
    if "age_min" in rule or "age_max" in rule:
        if born is None:
            return False
        age = age_on(born, day)
        if age < rule.get("age_min", 0) or age > rule.get("age_max", 200):
            return False
    if "labour_capacity" in rule and (member.get("labour_capacity") or "unknown") not in rule["labour_capacity"]:
        return False
    if "relationship" in rule and member.get("relationship") not in rule["relationship"]:
        return False
    return True


def _values(data: Any, path: str) -> list:
    node = [data]
    for part in path.split("."):
        many = part.endswith("[]")
        key = part[:-2] if many else part
        nxt = []
        for n in node:
            if isinstance(n, dict) and key in n:
                v = n[key]
                nxt += (v if isinstance(v, list) else [v]) if many or isinstance(v, list) else [v]
        node = nxt
    return node


def condition_holds(data: dict, cond: dict) -> bool:
    return any(v in cond["any_of"] for v in _values(data, cond["path"]))


MASKS = {
    "surname_only": lambda v: v[:1] + "*" * max(0, len(v) - 1),
    "id_number_partial": lambda v: v[:6] + "*" * 8 + v[-4:] if len(v) == 18 else "*" * len(v),
    "year_only": lambda v: v[:4],
    "county_only": lambda v: v[:6],
    "township_only": lambda v: v[:9],
    "sha256": lambda v: hashlib.sha256(v.encode("utf-8")).hexdigest(),
}


def mask(rule: str, value: Any) -> Any:
    if value is None:
        return None
    return MASKS[rule](str(value))


def minimise(view: dict, fields: tuple[str, ...], masking: dict) -> dict:
    """Only the allowed paths (top-level `x`, or `members[].x` inside each member), masked where the agreement says."""
    out: dict[str, Any] = {}
    nested: dict[str, list[str]] = {}
    for path in fields:
        head, _, rest = path.partition("[].")
        if rest:
            nested.setdefault(head, []).append(rest)
        elif path in view:
            out[path] = mask(masking[path], view[path]) if path in masking else view[path]
    for head, subfields in nested.items():
        items = view.get(head)
        if not isinstance(items, list):
            continue
        out[head] = [{f: (mask(masking[f"{head}[].{f}"], item[f]) if f"{head}[].{f}" in masking else item[f])
                      for f in subfields if f in item and item[f] is not None} for item in items]
    return out


def project(agreement: Agreement, event: SourceEvent, roster: Roster, consent: ConsentState, day: date) -> list[PartnerEvent]:
    """The partner events this internal event becomes under this agreement on `day` (often none)."""
    if not agreement.valid_on(day):
        return []
    division = event.data.get("division_code")
    if not isinstance(division, str) or not agreement.covers(division):
        return []
    if consent.withdrawn(agreement.consent_purpose, day):
        return []
    out = []
    for source in agreement.sources:
        if source.event_type != event.type or not all(condition_holds(event.data, c) for c in source.when):
            continue
        view = dict(event.data)
        if any(f.startswith("members[].") for f in agreement.fields) or agreement.member_filter:
            members = [m for m in _members(event.data, roster) if member_passes(m, agreement.member_filter, day)]
            if agreement.member_filter and not members:
                continue  # nothing this department is entitled to hear about
            view["members"] = members
        data = minimise(view, agreement.fields, agreement.masking)
        data["household_id"] = event.subject if "household_id" not in data else data["household_id"]
        data["agreement"] = {"id": agreement.id, "version": agreement.version, "purpose": agreement.purpose}
        data["source_event_type"] = event.type
        data["rule_version"] = RULE_VERSION
        out.append(PartnerEvent(agreement.partner_type(source), event.subject, data, source))
    return out
