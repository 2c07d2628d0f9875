"""One household, one file (一户一档): how each contract event about a household becomes a line of its timeline and
what it tells the household's summary. Plain data in, plain data out: the consumer stores what this returns.

Every event type in contracts/ has a decision here: mapped (RULES) or not about a household (NOT_HOUSEHOLD, with
the reason); a test fails on a new type without one. A summary is a catalogue id (`hh.ev.<type>[.<variant>]`) and
the values its placeholders need; the page fills it in the reader's language, so no text is made here."""
from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from shared.envelope import Event

# Kinds of things an entry is about that have a staff page (ROUTES.md), and the page's path.
PAGES = {"case": "/staff/cases/{}", "clue": "/staff/clues/{}", "referral": "/staff/referrals/{}",
         "participation": "/staff/exit/participations/{}", "plan": "/staff/followup/plans/{}",
         "assistance": "/staff/assistance/households/{}"}
GENERIC_SUMMARY = "hh.ev.generic"
SERVICES = ("discovery", "identification", "assistance", "gradual_exit", "followup")


def link_of(entity_kind: str | None, entity_id: str | None) -> str | None:
    page = PAGES.get(entity_kind or "")
    return page.format(quote(entity_id, safe="")) if page and entity_id else None


@dataclass(frozen=True)
class Rule:
    """How one event type reads on the timeline.

    entity: (kind, data path) of the thing it is about; values: placeholder name -> data path (`#path` = how many
    items); variant: a boolean or enum data path whose value picks `hh.ev.<type>.<value>`; actor: data path of who
    did it (an object with subject/role/name, or a subject string); details: data paths of the service's bilingual
    texts ({en, zh} or a list of them); notes: data paths of what an officer wrote (one language, shown as is);
    each: a list path for an event about several households (one entry per item, paths then read the item first).
    """

    entity: tuple[str, str] | None = None
    values: dict[str, str] = field(default_factory=dict)
    variant: str | None = None
    actor: str | None = None
    actor_role: str | None = None  # data path of a role given without an officer (followup's recorded_by_role)
    details: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    each: str | None = None


CASE = ("case", "case_id")
CLUE = ("clue", "clue_id")
REFERRAL = ("referral", "referral_id")
PARTICIPATION = ("participation", "participation_id")
PLAN = ("plan", "plan_id")
ASSISTANCE = ("assistance", "household_id")

RULES: dict[str, Rule] = {
    # discovery
    "discovery.application.submitted": Rule(("application", "application_id"), variant="channel",
                                            values={"members": "#members", "application_id": "application_id"}),
    "discovery.clue.raised": Rule(CLUE, variant="severity", details=("explanation",)),
    "discovery.clue.dismissed": Rule(CLUE, actor="dismissed_by", notes=("reason",)),
    "discovery.clue.verified": Rule(CLUE, variant="confirmed", actor="verified_by", values={"visited_on": "visited_on"}),
    "discovery.clue.overdue": Rule(CLUE, values={"due_on": "due_on", "days": "days_overdue"}, details=("explanation",)),
    "discovery.visit.recorded": Rule(CLUE, variant="purpose", actor="visitor", values={"visited_on": "visited_on"}),
    "discovery.household.referred": Rule(values={"channels": "#channels"}, details=("reasons",)),
    "discovery.household.updated": Rule(CASE, variant="change", values={"lifecycle_status": "lifecycle_status"},
                                        details=("explanation",)),
    # identification
    "identification.case.opened": Rule(CASE, variant="source_type", values={"deadline": "deadline"}),
    "identification.case.linked": Rule(CASE, variant="source_type"),
    "identification.case.overdue": Rule(CASE, values={"deadline": "deadline"}),
    "identification.assessment.started": Rule(CASE, actor="actor"),
    "identification.assessment.completed": Rule(CASE, actor="assessed_by",
                                                values={"programmes": "eligible_programmes"}),
    "identification.review.completed": Rule(CASE, variant="outcome", values={"attendees": "attendee_count"}),
    "identification.notice.published": Rule(CASE, values={"programmes": "programmes", "days": "days"}),
    "identification.objection.lodged": Rule(CASE),
    "identification.objection.resolved": Rule(CASE, variant="upheld", notes=("reason",)),
    "identification.notice.closed": Rule(CASE, variant="reason", actor="actor"),
    "identification.case.township_reviewed": Rule(CASE, actor="actor", values={"outcome": "outcome"},
                                                  notes=("opinion",)),
    "identification.case.withdrawn": Rule(CASE, actor="actor", notes=("reason",)),
    "identification.household.identified": Rule(CASE, values={"programmes": "programmes"}),
    "identification.household.rejected": Rule(CASE, details=("reasons", "appeal")),
    "identification.household.enrolled": Rule(CASE, values={"programmes": "programmes", "file_number": "file_number"}),
    "identification.recheck.opened": Rule(CASE, values={"programmes": "programmes",
                                                        "tracking_number": "tracking_number"}),
    "identification.reassessment.flagged": Rule(CASE, values={"programmes": "newly_eligible",
                                                              "rule_version": "rule_version"}, details=("reasons",)),
    "identification.reassessment.completed": Rule(CASE, each="households", actor="actor",
                                                  values={"programmes": "newly_eligible",
                                                          "lost": "no_longer_eligible", "rule_version": "rule_version"}),
    # assistance
    "assistance.needs.assessed": Rule(ASSISTANCE, variant="source", values={"needs": "#needs",
                                                                            "programmes": "programmes"}),
    "assistance.service.matched": Rule(REFERRAL, values={"service_type": "service_type", "provider": "provider_id"},
                                       details=("reason",)),
    "assistance.service.waitlisted": Rule(ASSISTANCE, values={"service_type": "service_type", "position": "position"},
                                          details=("reason",)),
    "assistance.service.cancelled": Rule(REFERRAL, variant="by", values={"service_type": "service_type"},
                                         details=("reason",)),
    "assistance.service.delivered": Rule(REFERRAL, values={"service_type": "service_type", "provider": "provider_id",
                                                           "delivered_on": "delivered_on", "cost": "cost_yuan"}),
    "assistance.referral.accepted": Rule(REFERRAL, values={"service_type": "service_type", "provider": "provider_id"}),
    "assistance.referral.declined": Rule(REFERRAL, values={"service_type": "service_type", "provider": "provider_id"},
                                         details=("reason",)),
    "assistance.feedback.recorded": Rule(REFERRAL, variant="complaint", values={"rating": "rating",
                                                                                "service_type": "service_type"}),
    "assistance.feedback.resolved": Rule(REFERRAL, actor="resolved_by", values={"service_type": "service_type"},
                                         notes=("resolution",)),
    "assistance.benefit.granted": Rule(ASSISTANCE, values={"programme": "programme", "amount": "amount_yuan",
                                                           "effective_from": "effective_from"},
                                       variant="frequency", details=("explanation",)),
    "assistance.benefit.adjusted": Rule(PARTICIPATION, values={"programme": "programme", "month": "month",
                                                               "effective_from": "effective_from"}),
    "assistance.benefit.stopped": Rule(ASSISTANCE, values={"programme": "programme", "amount": "amount_yuan"},
                                       details=("reason",)),
    "assistance.reassessment.completed": Rule(ASSISTANCE, each="changes", actor="requested_by",
                                              values={"programme": "programme", "before": "before_yuan",
                                                      "after": "after_yuan", "rule_version": "rule_version"}),
    # gradual_exit
    "gradual_exit.household.enrolled": Rule(values={"programmes": "programmes", "review_on": "review.next_due_on"}),
    "gradual_exit.situation.recorded": Rule(variant="kind", actor="recorded_by"),
    "gradual_exit.observation.started": Rule(PARTICIPATION, values={"programme": "programme", "ends_on": "ends_on"},
                                             details=("reasons",)),
    "gradual_exit.observation.reverted": Rule(PARTICIPATION, values={"programme": "programme"}, details=("reasons",)),
    "gradual_exit.observation.completed": Rule(PARTICIPATION, values={"programme": "programme"}, details=("reasons",)),
    "gradual_exit.notice.published": Rule(PARTICIPATION, values={"programme": "programme", "first_day": "first_day",
                                                                 "last_day": "last_day"}),
    "gradual_exit.objection.lodged": Rule(PARTICIPATION, values={"programme": "programme"}),
    "gradual_exit.objection.resolved": Rule(PARTICIPATION, variant="upheld", actor="actor",
                                            values={"programme": "programme"}, notes=("reason",)),
    "gradual_exit.notice.closed": Rule(PARTICIPATION, variant="reason", actor="actor",
                                       values={"programme": "programme"}),
    "gradual_exit.review.due": Rule(values={"due_on": "due_on"}, details=("explanation",)),
    "gradual_exit.household.exited": Rule(values={"programme": "programme", "remaining": "remaining_programmes"},
                                          details=("reasons",)),
    # followup
    "followup.plan.started": Rule(PLAN, variant="restarted", values={"programme": "programme",
                                                                     "checkins": "#checkins"}),
    "followup.plan.extended": Rule(PLAN, values={"programme": "programme", "ends_on": "ends_on"}),
    "followup.plan.completed": Rule(PLAN, values={"done": "checkins_completed", "missed": "checkins_missed"}),
    "followup.checkin.recorded": Rule(PLAN, variant="at_risk", actor_role="recorded_by_role",
                                      values={"visited_on": "visited_on"}, details=("reasons",)),
    "followup.checkin.overdue": Rule(PLAN, values={"seq": "seq", "due_on": "due_on"}),
    "followup.signal.received": Rule(PLAN, variant="at_risk", details=("reasons",)),
    "followup.relapse.detected": Rule(PLAN, details=("reasons",)),
    "followup.relapse.closed": Rule(PLAN, variant="outcome", notes=("reason",)),
}

# Contract event types that are not about one household, and why they have no place in a household's file.
NOT_HOUSEHOLD: dict[str, str] = {
    "partner.signal.reported": "a department's raw record, keyed by its own id (no household yet); discovery turns "
                               "it into discovery.clue.raised for the household it finds",
    "assistance.provider.registered": "a provider of the catalogue, not a household",
    "assistance.provider.updated": "a provider of the catalogue, not a household",
    "assistance.provider.suspended": "a provider of the catalogue; its cancelled referrals come as "
                                     "assistance.service.cancelled per household",
    "assistance.provider.reactivated": "a provider of the catalogue, not a household",
    "assistance.waitlist.reconsidered": "a daily run over the whole waitlist (counts only); matches come as "
                                        "assistance.service.matched per household",
    "policy.draft.submitted": "a rule set draft, not a household",
    "policy.draft.rejected": "a rule set draft, not a household",
    "policy.ruleset.published": "a rule set, not a household",
    # A petition stays with the oversight service, which protects its complainant; what it changes for a household
    # reaches the file as the clue (漏保) or the re-check (错保, identification.recheck.opened) it opens.
    **{f"oversight.petition.{step}": "a petition; its effect on a household comes as the clue or re-check it opens"
       for step in ("filed", "accepted", "declined", "extended", "replied", "overdue")},
    # Who read a household's data: oversight's access log lists it for county officers (an access is not a step of
    # the household's case, and listing reads in the file would itself expose who is being looked at).
    **{f"{service}.access.recorded": "a read of the household's data, listed by oversight's access log"
       for service in ("discovery", "identification", "portal")},
    # An audit sample re-checks files; its outcome stays with the auditors (oversight's accuracy figures).
    **{f"oversight.sample.{step}": "an accuracy audit of sampled files, kept by oversight"
       for step in ("drawn", "file_assigned", "file_checked")},
    "exchange.consent.recorded": "the household's consent to data sharing, kept and listed by exchange "
                                 "(GET /api/v1/households/{id}/consents); not yet shown in the file",
    # The economic-status check belongs to the case page (its facts with their sources and the discrepancies);
    # the file shows the assessment that they prefill.
    **{f"identification.verification.{step}": "an economic-status check of a case, shown on the case page"
       for step in ("requested", "answered", "overdue")},
}

# Summary values read as codes: the page shows `hh.code.<name>.<value>` when the catalogue has it, programmes by name.
CODED_VALUES = ("lifecycle_status", "service_type", "outcome")
PROGRAMME_VALUES = ("programmes", "programme", "lost", "remaining")


@dataclass(frozen=True)
class Entry:
    entry_id: str
    event_id: str
    household_id: str
    division_code: str | None
    occurred_at: datetime
    service: str
    event_type: str
    summary_id: str
    summary_values: dict[str, Any]
    details: list[dict[str, str]]
    actor_subject: str | None = None
    actor_role: str | None = None
    actor_name: str | None = None
    entity_kind: str | None = None
    entity_id: str | None = None
    # what the household's summary learns (each kept if newer than what it has)
    lifecycle_status: str | None = None
    file_number: str | None = None
    head_name_masked: str | None = None
    head_id_number_masked: str | None = None
    case_id: str | None = None
    # the resident ID numbers the event names (applicant, members): only ever stored as keyed digests
    id_numbers: tuple[str, ...] = ()

    @property
    def link(self) -> str | None:
        return link_of(self.entity_kind, self.entity_id)


def service_of(event_type: str) -> str:
    return event_type.split(".")[0]


def entries_for(event: Event) -> list[Entry]:
    """The timeline entries an event makes: none when it is not about a household, one generic entry (type and
    time) for a type this mapping does not know yet."""
    if event.type in NOT_HOUSEHOLD:
        return []
    rule = RULES.get(event.type)
    data = event.data or {}
    if rule is None:
        household = data.get("household_id") or event.subject
        return [Entry(event.id, event.id, str(household)[:128], _text(data.get("division_code")), event.time,
                      service_of(event.type), event.type, GENERIC_SUMMARY, {"type": event.type}, [])]
    if rule.each:
        items = [i for i in (_get(data, rule.each) or []) if isinstance(i, dict) and i.get("household_id")]
        return [_entry(event, rule, {**data, **item}, f"{event.id}#{item['household_id']}") for item in items]
    return [_entry(event, rule, data, event.id)]


def _entry(event: Event, rule: Rule, data: dict, entry_id: str) -> Entry:
    household = str(data.get("household_id") or event.subject)[:128]
    subject, role, name = _actor(data, rule)
    kind, entity = (rule.entity[0], _text(_get(data, rule.entity[1]))) if rule.entity else (None, None)
    head = _head(data)
    return Entry(
        entry_id=entry_id, event_id=event.id, household_id=household, division_code=_text(data.get("division_code")),
        occurred_at=event.time, service=service_of(event.type), event_type=event.type,
        summary_id=summary_id(event.type, rule, data), summary_values=_values(rule, data),
        details=_details(rule, data), actor_subject=subject, actor_role=role, actor_name=name,
        entity_kind=kind if entity else None, entity_id=entity,
        lifecycle_status=_text(data.get("lifecycle_status") or data.get("household_lifecycle_status")),
        file_number=_text(data.get("file_number")),
        head_name_masked=mask_name(head.get("name")) if head else None,
        head_id_number_masked=mask_id_number(head.get("id_number")) if head else None,
        case_id=_text(data.get("case_id")), id_numbers=id_numbers_of(data))


def summary_id(event_type: str, rule: Rule, data: dict) -> str:
    base = "hh.ev." + event_type
    if rule.variant is None:
        return base
    value = _get(data, rule.variant)
    if isinstance(value, bool):
        value = "yes" if value else "no"
    return f"{base}.{value}" if value not in (None, "") else base


def _values(rule: Rule, data: dict) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, path in rule.values.items():
        if path.startswith("#"):
            found = _get(data, path[1:])
            values[name] = len(found) if isinstance(found, list) else 0
        else:
            found = _get(data, path)
            values[name] = found if isinstance(found, (str, int, float, list)) and not isinstance(found, bool) else ""
    return values


def _details(rule: Rule, data: dict) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    for path in rule.details:
        value = _get(data, path)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                en, zh = item.get("en") or item.get("text_en"), item.get("zh") or item.get("text_zh")
                if en or zh:
                    found.append({"en": str(en or zh), "zh": str(zh or en)})
    for path in rule.notes:
        value = _get(data, path)
        if isinstance(value, str) and value.strip():
            found.append({"text": value})
    return found


def _actor(data: dict, rule: Rule) -> tuple[str | None, str | None, str | None]:
    role = _text(_get(data, rule.actor_role)) if rule.actor_role else None
    if rule.actor is None:
        return None, role, None
    value = _get(data, rule.actor)
    if isinstance(value, dict):
        return _text(value.get("subject")), _text(value.get("role")) or role, _text(value.get("name"))
    return _text(value), role, None


def _head(data: dict) -> dict | None:
    """The household's head as the event names them: the applicant, or the member who is `self`."""
    applicant = data.get("applicant")
    if isinstance(applicant, dict) and applicant.get("name"):
        return applicant
    for member in data.get("members") or []:
        if isinstance(member, dict) and member.get("relationship") == "self" and member.get("name"):
            return member
    return None


def id_digest(key: bytes, id_number: str) -> str:
    """A resident ID number as the household search keeps it: HMAC-SHA256 under the portal's key (an ID number has
    too few possible values for a plain hash to hide it)."""
    return hmac.new(key, id_number.strip().upper().encode(), hashlib.sha256).hexdigest()


def looks_like_id_number(text: str) -> bool:
    return bool(re.fullmatch(r"\d{17}[\dXx]", text.strip()))


def id_numbers_of(data: dict) -> tuple[str, ...]:
    people = [data.get("applicant")] + list(data.get("members") or [])
    found = {str(p["id_number"]).upper() for p in people if isinstance(p, dict) and p.get("id_number")}
    return tuple(sorted(found))


def mask_name(name: str | None) -> str | None:
    """张三 -> 张*: the family name is enough to recognise a file in a list."""
    if not name:
        return None
    return name[0] + "*" * max(1, len(name) - 1)


def mask_id_number(number: str | None) -> str | None:
    """Only the last four characters of a resident ID number are shown."""
    if not number:
        return None
    return "*" * max(0, len(number) - 4) + number[-4:]


def _get(data: dict, path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") and not isinstance(value, (dict, list)) else None
