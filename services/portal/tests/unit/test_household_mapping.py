"""The household file's mapping, checked against the contracts: every event type in contracts/ has a decision
(mapped or not about a household), every mapped example reads as expected in both languages, and the mapping
names only fields its contract defines."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from portal.i18n import load_catalogue
from portal.staff.household_consumer import HouseholdHandlers, apply_event
from portal.staff.household_file import (NOT_HOUSEHOLD, PAGES, RULES, SERVICES, entries_for, mask_id_number,
                                         mask_name)
from portal.staff.household_pages import summary_text
from shared.contracts import contracts_dir
from shared.envelope import Event, from_envelope

CONTRACTS = contracts_dir()
EXAMPLES = {p.name.removesuffix(".v1.json"): p for p in sorted((CONTRACTS / "examples").glob("*.v1.json"))}


def contract_types() -> set[str]:
    return {p.name.removesuffix(".v1.schema.json") for p in (CONTRACTS / "events").glob("*.schema.json")}


def example(event_type: str) -> Event:
    return from_envelope(json.loads(EXAMPLES[event_type].read_text(encoding="utf-8")))


def schema(event_type: str) -> dict:
    return json.loads((CONTRACTS / "events" / f"{event_type}.v1.schema.json").read_text(encoding="utf-8"))


# What each contract example reads as on the timeline (English), who did it, and what it links to.
EXPECTED = {
    "assistance.benefit.adjusted": ('Benefit tapered: Minimum living guarantee (dibao), month 4, from 2026-12-15',
        None, None, 'participation'),
    "assistance.benefit.granted": ('Benefit granted: Minimum living guarantee (dibao), ¥284 a month from 2026-12-15',
        None, None, 'assistance'),
    "assistance.benefit.stopped": ('Benefit stopped: Minimum living guarantee (dibao) (was ¥284)',
        None, None, 'assistance'),
    "assistance.feedback.recorded": ('Feedback on medical assistance (rating 4)',
        None, None, 'referral'),
    "assistance.feedback.resolved": ('Complaint resolved: skills training',
        'township-officer', None, 'referral'),
    "assistance.needs.assessed": ('Needs assessed from the enrolment (2 need(s)): Minimum living guarantee (dibao), Medical assistance',
        None, None, 'assistance'),
    "assistance.reassessment.completed": ('Benefit re-assessed under 53-v3: Minimum living guarantee (dibao) ¥400 → ¥500',
        'county-530102', None, 'assistance'),
    "assistance.referral.accepted": ('Referral accepted: skills training (wuhua-skills)',
        None, None, 'referral'),
    "assistance.referral.declined": ('Referral declined: skills training (wuhua-skills)',
        None, None, 'referral'),
    "assistance.service.cancelled": ('Referral cancelled by the provider: medical assistance',
        None, None, 'referral'),
    "assistance.service.delivered": ('Service delivered: medical assistance (wuhua-red-cross, 2026-12-20, ¥300)',
        None, None, 'referral'),
    "assistance.service.matched": ('Service matched: medical assistance (wuhua-red-cross)',
        None, None, 'referral'),
    "assistance.service.waitlisted": ('Waitlisted for in-kind aid (position 3)',
        None, None, 'assistance'),
    "discovery.application.submitted": ('Online application submitted (2 member(s), application a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d)',
        None, None, 'application'),
    "discovery.clue.dismissed": ('Risk clue dismissed',
        't-staff-07', 'township', 'clue'),
    "discovery.clue.overdue": ('Clue verification 3 day(s) overdue (due by 2026-11-28)',
        None, None, 'clue'),
    "discovery.clue.raised": ('Risk clue raised (medium severity)',
        None, None, 'clue'),
    "discovery.clue.verified": ('Clue verification visit (2026-11-30): confirmed',
        'v-staff-03', 'village', 'clue'),
    "discovery.household.referred": ('Referred to identification (2 channel(s))',
        None, None, None),
    "discovery.household.updated": ('Case step; the household is now withdrawn',
        None, None, 'case'),
    "discovery.visit.recorded": ('Clue verification visit recorded (2026-11-30)',
        'v-staff-01', 'village', 'clue'),
    "followup.checkin.overdue": ('Check-in 2 overdue (due on 2027-12-30)',
        None, None, 'plan'),
    "followup.checkin.recorded": ('Check-in recorded (2027-09-28): at risk',
        None, 'village', 'plan'),
    "followup.plan.completed": ('Follow-up complete: 11 check-in(s) done, 1 missed',
        None, None, 'plan'),
    "followup.plan.extended": ('Follow-up extended: leaving Relapse-prevention monitoring joined the plan, until 2029-09-30',
        None, None, 'plan'),
    "followup.plan.started": ('Follow-up plan started after leaving Minimum living guarantee (dibao): 12 check-in(s)',
        None, None, 'plan'),
    "followup.relapse.closed": ('Relapse episode closed: not confirmed',
        None, None, 'plan'),
    "followup.relapse.detected": ('Relapse risk detected, back to discovery on a fast track',
        None, None, 'plan'),
    "followup.signal.received": ('Report from a partner department: at risk',
        None, None, 'plan'),
    "gradual_exit.household.enrolled": ('Taken into gradual exit: Minimum living guarantee (dibao), Medical assistance; next periodic review 2027-03-02',
        None, None, None),
    "gradual_exit.household.exited": ('Left Minimum living guarantee (dibao); still receiving: Medical assistance',
        None, None, None),
    "gradual_exit.notice.closed": ('Exit notice period ended: Minimum living guarantee (dibao)',
        'wang-township', 'township', 'participation'),
    "gradual_exit.notice.published": ('Exit notice published: Minimum living guarantee (dibao) (2026-09-03 to 2026-09-09)',
        None, None, 'participation'),
    "gradual_exit.objection.lodged": ('Objection to the exit notice: Minimum living guarantee (dibao)',
        None, None, 'participation'),
    "gradual_exit.objection.resolved": ('Objection to the exit notice dismissed: Minimum living guarantee (dibao)',
        'wang-township', 'township', 'participation'),
    "gradual_exit.observation.completed": ('Observation complete, exit review due: Minimum living guarantee (dibao)',
        None, None, 'participation'),
    "gradual_exit.observation.reverted": ('Observation reverted, support continues: Minimum living guarantee (dibao)',
        None, None, 'participation'),
    "gradual_exit.observation.started": ('Observation period started: Minimum living guarantee (dibao), until 2026-09-02',
        None, None, 'participation'),
    "gradual_exit.review.due": ('Periodic review overdue (due on 2027-03-02)',
        None, None, None),
    "gradual_exit.situation.recorded": ('Periodic review recorded',
        'village-officer-7', 'village', None),
    "identification.assessment.completed": ('Field assessment completed; may qualify for: Minimum living guarantee (dibao), Medical assistance',
        'village-officer-1', None, 'case'),
    "identification.assessment.started": ('Field assessment started',
        'li-village', 'village', 'case'),
    "identification.case.linked": ('The referral joined the open identification case',
        None, None, 'case'),
    "identification.case.opened": ('Identification case opened from the application, deadline 2027-01-12',
        None, None, 'case'),
    "identification.case.overdue": ('Identification case overdue (deadline 2027-01-12)',
        None, None, 'case'),
    "identification.case.township_reviewed": ('Township review: approval recommended',
        'wang-township', 'township', 'case'),
    "identification.case.withdrawn": ('Identification case withdrawn',
        'li-village', 'village', 'case'),
    "identification.household.enrolled": ('File created (530102-2026-000001): Minimum living guarantee (dibao), Medical assistance',
        None, None, 'case'),
    "identification.household.identified": ('Identified for: Minimum living guarantee (dibao), Medical assistance',
        None, None, 'case'),
    "identification.household.rejected": ('Not identified',
        None, None, 'case'),
    "identification.notice.closed": ('Public notice period ended',
        'wang-township', 'township', 'case'),
    "identification.notice.published": ('Public notice published (7 days): Minimum living guarantee (dibao)',
        None, None, 'case'),
    "identification.objection.lodged": ('Objection lodged against the notice',
        None, None, 'case'),
    "identification.objection.resolved": ('Objection resolved: dismissed',
        None, None, 'case'),
    "identification.reassessment.completed": ('Re-assessed under 53-v3: newly eligible for Minimum living guarantee (dibao); no longer eligible for none',
        'county-officer', 'county', 'case'),
    "identification.reassessment.flagged": ('Under the new rules (53-v3) newly eligible for: Minimum living guarantee (dibao)',
        None, None, 'case'),
    "identification.recheck.opened": ('Re-check opened on petition XF20260601K7M2QA: Minimum living guarantee (dibao)',
        None, None, 'case'),
    "identification.review.completed": ('Democratic review approved (9 attending)',
        None, None, 'case'),
}
CATALOGUE = load_catalogue()


def test_every_event_type_of_the_contracts_has_a_decision():
    """A new event type in contracts/ fails here until it is mapped (RULES) or said not to be about a household."""
    types = contract_types()
    undecided = sorted(types - set(RULES) - set(NOT_HOUSEHOLD))
    assert not undecided, f"event types without a household-file decision: {undecided}"
    assert not set(RULES) & set(NOT_HOUSEHOLD)
    stale = sorted((set(RULES) | set(NOT_HOUSEHOLD)) - types)
    assert not stale, f"decisions about event types the contracts no longer have: {stale}"
    assert all(reason.strip() for reason in NOT_HOUSEHOLD.values())


def test_every_mapped_type_has_an_expected_reading():
    assert set(EXPECTED) == set(RULES)


@pytest.mark.parametrize("event_type", sorted(RULES))
def test_the_contract_example_becomes_its_timeline_entry(event_type):
    event = example(event_type)
    entries = entries_for(event)
    assert len(entries) == 1, entries
    entry = entries[0]
    data = event.data
    summary, actor, role, kind = EXPECTED[event_type]
    assert entry.household_id == "0b8e7d6c-5a4f-4e3d-9c2b-1a0f9e8d7c6b"  # the examples' household
    assert entry.service == event_type.split(".")[0] and entry.service in SERVICES
    assert entry.event_type == event_type and entry.occurred_at == event.time
    per_household = (data.get("households") or data.get("changes") or [{}])[0]  # an event about several: the item's
    assert entry.division_code == (per_household.get("division_code") or data.get("division_code"))
    assert summary_text(entry, CATALOGUE.gettext("en")) == summary
    assert (entry.actor_subject, entry.actor_role, entry.entity_kind) == (actor, role, kind)
    if kind in PAGES:
        assert entry.link == PAGES[kind].format(entry.entity_id) and entry.entity_id
    else:
        assert entry.link is None


@pytest.mark.parametrize("event_type", sorted(RULES))
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_each_summary_is_a_catalogue_text_filled_in_both_languages(event_type, lang):
    entry = entries_for(example(event_type))[0]
    assert entry.summary_id in CATALOGUE.messages[lang], entry.summary_id
    text = summary_text(entry, CATALOGUE.gettext(lang))
    assert text and "{" not in text and "hh." not in text, text
    for value in ("programme.", "hh.code."):
        assert value not in text


@pytest.mark.parametrize("event_type", sorted(RULES))
def test_the_mapping_reads_only_fields_its_contract_defines(event_type):
    rule, contract = RULES[event_type], schema(event_type)
    properties = dict(contract["properties"])
    if rule.each:
        properties.update(contract["properties"][rule.each]["items"]["properties"])
    paths = [p.lstrip("#") for p in rule.values.values()] + list(rule.details) + list(rule.notes)
    paths += [p for p in (rule.variant, rule.actor, rule.actor_role, rule.entity and rule.entity[1]) if p]
    unknown = [p for p in paths if p.split(".")[0] not in properties]
    assert not unknown, f"{event_type} reads fields its contract does not define: {unknown}"


def variant_values(event_type: str) -> list:
    rule = RULES[event_type]
    field = schema(event_type)["properties"][rule.variant]
    if field.get("type") == "boolean":
        return ["yes", "no"]
    return field.get("enum", [])


@pytest.mark.parametrize("event_type", sorted(t for t, r in RULES.items() if r.variant))
def test_every_value_of_a_variant_field_has_its_text(event_type):
    values = variant_values(event_type)
    assert values, f"{event_type}: the variant field {RULES[event_type].variant} is neither boolean nor an enum"
    for lang, table in CATALOGUE.messages.items():
        missing = [v for v in values if f"hh.ev.{event_type}.{v}" not in table]
        assert not missing, f"{lang}: no text for {event_type} with {RULES[event_type].variant} = {missing}"


def test_coded_values_of_the_contracts_have_their_texts():
    lifecycle = schema("discovery.household.updated")["properties"]["lifecycle_status"]["enum"]
    services = schema("assistance.service.matched")["properties"]["service_type"]["enum"]
    for lang, table in CATALOGUE.messages.items():
        assert all(f"hh.code.lifecycle_status.{s}" in table for s in lifecycle), lang
        assert all(f"hh.code.service_type.{s}" in table for s in services), lang
        assert all(f"hh.service.{s}" in table for s in SERVICES), lang


@pytest.mark.parametrize("event_type", sorted(NOT_HOUSEHOLD))
def test_an_event_not_about_a_household_makes_no_entry(event_type):
    assert entries_for(example(event_type)) == []


def test_an_event_about_several_households_makes_one_entry_each():
    event = example("assistance.reassessment.completed")
    data = dict(event.data)
    second = dict(data["changes"][0], household_id="hh-2", division_code="530102002001", before_yuan=100.0,
                  after_yuan=150.0)
    event = Event(type=event.type, source=event.source, subject=event.subject, id=event.id, time=event.time,
                  data={**data, "changes": [data["changes"][0], second]})
    entries = entries_for(event)
    assert [e.household_id for e in entries] == ["0b8e7d6c-5a4f-4e3d-9c2b-1a0f9e8d7c6b", "hh-2"]
    assert len({e.entry_id for e in entries}) == 2 and all(e.event_id == event.id for e in entries)
    assert entries[1].division_code == "530102002001"
    assert summary_text(entries[1], CATALOGUE.gettext("en")).endswith("¥100 → ¥150")


def test_an_unknown_type_of_a_known_topic_is_kept_generically():
    event = Event(type="identification.case.reopened", source="identification", subject="hh-9",
                  data={"case_id": "c-9", "household_id": "hh-9", "division_code": "530102001001"},
                  time=datetime(2026, 12, 1, 8, tzinfo=timezone.utc))
    [entry] = entries_for(event)
    assert (entry.household_id, entry.event_type, entry.occurred_at) == ("hh-9", event.type, event.time)
    assert entry.summary_id == "hh.ev.generic" and entry.division_code == "530102001001"
    assert summary_text(entry, CATALOGUE.gettext("en")) == "Other event: identification.case.reopened"
    handlers = HouseholdHandlers(apply_event)
    assert "identification.case.reopened" in handlers and handlers["identification.case.reopened"] is apply_event
    assert "assistance.provider.updated" not in handlers      # said not to be about a household
    assert "policy.ruleset.withdrawn" not in handlers          # a topic the household file does not read
    assert set(handlers) == set(RULES)                         # the topics subscribed follow from the mapped types


def test_an_unknown_variant_value_falls_back_to_the_types_text():
    event = example("discovery.clue.raised")
    event = Event(type=event.type, source=event.source, subject=event.subject, id=event.id, time=event.time,
                  data={**event.data, "severity": "extreme"})
    [entry] = entries_for(event)
    assert entry.summary_id == "hh.ev.discovery.clue.raised.extreme"
    assert summary_text(entry, CATALOGUE.gettext("en")) == "Risk clue raised"


def test_the_head_of_household_is_kept_masked_only():
    [entry] = entries_for(example("discovery.application.submitted"))
    assert (entry.head_name_masked, entry.head_id_number_masked) == ("张*", "**************002X")
    [exited] = entries_for(example("gradual_exit.household.exited"))
    assert exited.head_name_masked == "张*" and exited.file_number == "530102-2026-000001"
    assert mask_name("欧阳小明") == "欧***" and mask_name("") is None
    assert mask_id_number("110105195001011234") == "**************1234" and mask_id_number(None) is None
    assert all("11010519491231002X" not in json.dumps(e.summary_values, ensure_ascii=False)
               for t in RULES for e in entries_for(example(t)))


def test_the_summary_learns_status_file_number_and_case_from_the_events_that_carry_them():
    [updated] = entries_for(example("discovery.household.updated"))
    assert updated.lifecycle_status == "withdrawn" and updated.case_id == "c0ffee00-1234-4abc-8def-0123456789ab"
    [raised] = entries_for(example("discovery.clue.raised"))
    assert raised.lifecycle_status == "in_discovery"
    [enrolled] = entries_for(example("identification.household.enrolled"))
    assert enrolled.file_number == "530102-2026-000001" and enrolled.lifecycle_status is None
