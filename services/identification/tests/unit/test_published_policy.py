"""A policy version published while identification runs is used from its first day, without a restart: the
`policy.ruleset.published` event goes through the consumer handler bootstrap wires (the replica store) on SQLite, and
the next rules_for of the same Services, and the next assessment, use the new version."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from identification import handlers
from identification.bootstrap import build_runtime
from identification.config import Settings
from identification.domain.assessment import HouseholdFacts, Member
from identification.models import policy_rulesets
from shared.auth import Principal
from shared.clock import FixedClock
from shared.contracts import registry
from shared.envelope import Event
from shared.policy_client import POLICY_PUBLISHED, merge
from shared.synthetic import HouseholdFactory

VILLAGE = "530102001001"      # Kunming (5301), Yunnan (53)
NEIGHBOUR = "530302001001"    # Qujing (5303), Yunnan
NEW_YEAR = datetime(2027, 1, 4, 1, 0, tzinfo=timezone.utc)   # Monday 4 January 2027, 09:00 in China
ADMIN = Principal("tester", "admin", "")
# Three people, ¥650 each a month: above Yunnan's ¥600 dibao standard, below Kunming's new ¥700.
MEMBERS = (Member(40, "full", employed=True), Member(35, "full"), Member(9, "none", in_compulsory_education=True))
INCOME = Decimal(650 * 3)


@pytest.fixture()
def runtime(tmp_path: Path):
    rt = build_runtime(Settings(database_url=f"sqlite:///{tmp_path}/identification.db", kafka_bootstrap="127.0.0.1:1",
                                policy_refresh_seconds=0), clock=FixedClock(NEW_YEAR))
    rt.migrate()
    yield rt
    rt.engine.dispose()


def published(rule_version: str, region: str, version: int, start: date, document: dict, overrides: dict,
              replaces: str) -> Event:
    """The event as services/policy/policy/handlers.py published_data builds it."""
    return Event(type=POLICY_PUBLISHED, source="/services/policy", subject=rule_version, data={
        "ruleset_id": str(uuid.uuid4()), "region": region, "version": version, "rule_version": rule_version,
        "title": "Kunming 2027: dibao standard / 昆明市 2027 年低保标准", "effective_from": start.isoformat(),
        "effective_to": None, "legal_basis": {"document_number": "ILLUSTRATIVE-5301-2027", "url": None},
        "source": "api", "replaces": replaces, "proposed_by": "officer-a", "approved_by": "officer-b",
        "published_at": "2026-12-20T02:00:00+00:00", "overrides": overrides, "document": document})


def handle(runtime, event: Event) -> None:
    """Through the consumer bootstrap registered, in one transaction, as the consumer runner calls it."""
    spec = next(s for s in runtime.consumers if s.name == "identification.policy")
    with runtime.session_factory() as session, session.begin():
        spec.handlers[event.type](session, event)


def assess(runtime, household: str):
    svc = runtime.services
    factory = HouseholdFactory(11)
    event = factory.application_event(factory.application_body(division=VILLAGE, size=3), household_id=household)
    with runtime.session_factory() as s, s.begin():
        case = handlers.on_application_submitted(s, event, svc)
        handlers.start_assessment(s, svc, ADMIN, case.id)
        _, assessment, decision = handlers.complete_assessment(
            s, svc, ADMIN, case.id, facts=HouseholdFacts(VILLAGE, MEMBERS, INCOME, residence_months=60),
            facts_json={}, authorisation={"authorised": True}, emergency=False)
        return assessment.rule_version, decision.eligible


def test_a_published_county_version_applies_from_its_first_day_without_rebuilding_anything(runtime):
    svc = runtime.services
    rules = svc.rules
    assert svc.rules_for(VILLAGE, date(2027, 1, 1)).version == "53-v2"
    version, eligible = assess(runtime, "household-before")
    assert version == "53-v2" and "dibao" not in eligible

    overrides = {"standards": {"dibao_standard_yuan_per_person_month": 700}}
    parent = svc.rules.entry_for(VILLAGE, date(2027, 1, 1))
    assert parent.rule_version == "53-v2"
    event = published("5301-v1", "5301", 1, date(2027, 1, 1), merge(parent.document, overrides), overrides, "53-v2")
    registry().validate(event.envelope())   # what policy puts on the topic, by its contract
    handle(runtime, event)

    assert svc.rules is rules   # the same rules object: nothing was rebuilt or restarted
    before = svc.rules_for(VILLAGE, date(2026, 12, 31))
    assert before.version == "53-v2" and before.decimal("dibao", "standard_yuan_per_person_month") == 600
    after = svc.rules_for(VILLAGE, date(2027, 1, 1))
    assert (after.version, after.region, after.effective_from) == ("5301-v1", "5301", date(2027, 1, 1))
    assert after.decimal("dibao", "standard_yuan_per_person_month") == 700
    # everything else is the province's: the document is the 53-v2 document with one standard changed
    assert after.decimal("monitoring", "line_yuan_per_person_year") == 9000
    assert after.integer("temporary", "residence_months") == 1
    assert svc.rules_for(NEIGHBOUR, date(2027, 1, 1)).version == "53-v2"
    assert svc.rules_for("110105001001", date(2027, 1, 1)).version == "CN-v1"
    assert svc.rules_of_version("5301-v1") is after

    version, eligible = assess(runtime, "household-after")
    assert version == "5301-v1" and "dibao" in eligible


def test_a_redelivered_publication_changes_nothing(runtime):
    svc = runtime.services
    overrides = {"standards": {"dibao_standard_yuan_per_person_month": 700}}
    parent = svc.rules.entry_for(VILLAGE, date(2027, 1, 1))
    event = published("5301-v1", "5301", 1, date(2027, 1, 1), merge(parent.document, overrides), overrides, "53-v2")
    handle(runtime, event)
    first = svc.rules_for(VILLAGE, date(2027, 1, 1))
    handle(runtime, event)
    assert svc.rules_for(VILLAGE, date(2027, 1, 1)) is first
    with runtime.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(policy_rulesets)) == 1
