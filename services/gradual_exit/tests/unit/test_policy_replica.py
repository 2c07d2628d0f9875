"""A published policy version reaches gradual_exit's decisions without a restart (SQLite, the `make run` default):
the policy consumer keeps policy.ruleset.published in policy_rulesets (migration 0003), and the rules read it."""
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from gradual_exit import handlers
from gradual_exit.bootstrap import build_runtime
from gradual_exit.config import Settings
from gradual_exit.domain.situation import Member, SituationUpdate
from gradual_exit.models import policy_rulesets
from shared.auth import Principal
from shared.clock import FixedClock
from shared.envelope import Event
from shared.policy_client import POLICY_PUBLISHED, baseline_entries, merge

VILLAGE = "530102001001"  # Kunming (5301), Yunnan (53)
START = datetime(2027, 1, 4, 1, 0, tzinfo=timezone.utc)
OVERRIDES = {"standards": {"dibao_standard_yuan_per_person_month": 700}}


@pytest.fixture
def runtime(tmp_path):
    rt = build_runtime(Settings(database_url=f"sqlite:///{tmp_path}/gradual_exit.db", kafka_bootstrap="127.0.0.1:1",
                                run_relay=False, run_consumers=False), clock=FixedClock(START))
    rt.migrate()
    rt.services.rules.refresh_seconds = 0  # read the replica on every lookup (the default checks once a second)
    return rt


def published(region="5301", version=1, effective_from="2027-01-01", overrides=OVERRIDES) -> Event:
    """policy.ruleset.published as services/policy/policy/handlers.py published_data builds it."""
    baseline = next(e for e in baseline_entries() if e.rule_version == "53-v2")
    rule_version = f"{region}-v{version}"
    data = {"ruleset_id": f"rs-{rule_version}", "region": region, "version": version, "rule_version": rule_version,
            "title": "Kunming 2027 dibao standard / 昆明市 2027 年低保标准", "effective_from": effective_from,
            "effective_to": None, "legal_basis": {"document_number": "TEST-5301-2027", "url": None}, "source": "api",
            "replaces": None, "proposed_by": "officer-1", "approved_by": "officer-2",
            "published_at": "2026-12-20T02:00:00+00:00", "overrides": overrides,
            "document": merge(baseline.document, overrides)}
    return Event(type=POLICY_PUBLISHED, source="/services/policy", subject=rule_version, data=data)


def deliver(runtime, event: Event) -> None:
    runtime.registry.validate(event.envelope())  # exactly what the policy service publishes
    handler, = [spec.handlers[POLICY_PUBLISHED] for spec in runtime.consumers if POLICY_PUBLISHED in spec.handlers]
    with runtime.session_factory() as s, s.begin():
        handler(s, event)


def replica_rows(runtime) -> int:
    with runtime.session_factory() as s:
        return s.scalar(select(func.count()).select_from(policy_rulesets))


def test_a_published_version_applies_from_its_first_day_without_a_restart(runtime):
    svc = runtime.services
    assert svc.rules_for(VILLAGE, date(2027, 1, 1)).version == "53-v2"
    assert svc.rules_for(VILLAGE, date(2027, 1, 1)).line("dibao").yuan_per_person_month == Decimal("600.00")

    deliver(runtime, published())

    before = svc.rules_for(VILLAGE, date(2026, 12, 31))
    after = svc.rules_for(VILLAGE, date(2027, 1, 1))
    assert before.version == "53-v2" and before.line("dibao").yuan_per_person_month == Decimal("600.00")
    assert after.version == "5301-v1" and after.region == "5301" and after.effective_from == date(2027, 1, 1)
    assert after.line("dibao").yuan_per_person_month == Decimal("700.00")
    assert after.line("near_dibao").yuan_per_person_month == Decimal("1050.00")  # 1.5 × the new standard
    assert after.support_shares("dibao") == before.support_shares("dibao"), "the rest of 53-v2 stays in force"
    assert svc.rules_for("530321100201", date(2027, 1, 1)).version == "53-v2", "another prefecture keeps 53-v2"
    assert svc.rules.by_version("5301-v1").line("dibao").yuan_per_person_month == Decimal("700.00")


def test_a_redelivered_version_changes_nothing(runtime):
    deliver(runtime, published())
    deliver(runtime, published())  # a replay of the compacted topic: same version, new event id
    assert replica_rows(runtime) == 1
    assert runtime.services.rules_for(VILLAGE, date(2027, 1, 1)).version == "5301-v1"


def test_decisions_made_after_the_event_use_the_new_line_and_cite_its_version(runtime):
    svc = runtime.services
    household = "hh-kunming"
    enrolment = Event(type="identification.household.enrolled", source="/services/identification",
                      subject=household, data={
                          "case_id": "case-1", "household_id": household, "file_number": "530102-2027-000001",
                          "division_code": VILLAGE, "programmes": ["dibao"], "categories": {}, "rule_version": "53-v2",
                          "enrolled_at": START.isoformat(), "member_count": 1, "scores": {"labour_capacity": 50},
                          "per_capita_monthly_income_yuan": 400.0})
    runtime.registry.validate(enrolment.envelope())
    with runtime.session_factory() as s, s.begin():
        handlers.on_household_enrolled(s, enrolment, svc)

    deliver(runtime, published())

    update = SituationUpdate(per_capita_monthly_income_yuan=Decimal("650"), income_stable=True,
                             members=(Member(labour_capacity="full"),))
    village = Principal(subject="village-1", role="village", area=VILLAGE)
    with runtime.session_factory() as s, s.begin():
        situation = handlers.record_situation(s, svc, village, household, kind="update", update=update)
        decision, = situation.decisions
    # 650 is above 53-v2's line of 600 (it would have started an observation) but not above 5301-v1's 700
    assert (decision["action"], decision["rule_version"], decision["line_yuan_per_person_month"]) == \
        ("none", "5301-v1", 700.0)
    assert "700.00" in decision["explanation_en"] and "700.00元" in decision["explanation_zh"]
