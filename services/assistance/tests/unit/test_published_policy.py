"""A policy version published while assistance runs (``policy.ruleset.published``, kept in the replica on SQLite)
applies from its first day without a restart; what was computed before keeps citing the version it was computed with."""
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from assistance import handlers
from assistance.bootstrap import build_runtime
from assistance.config import Settings
from assistance.models import Benefit, policy_rulesets
from shared.clock import FixedClock
from shared.envelope import Event
from shared.policy_client import POLICY_PUBLISHED, baseline_entries, merge

KUNMING = "530102001001"   # Yunnan, prefecture 5301
ZHAOTONG = "530602001001"  # Yunnan, another prefecture
GUIZHOU = "520326101203"


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 12, 31, 2, 0, tzinfo=timezone.utc))


@pytest.fixture
def runtime(tmp_path, clock):
    rt = build_runtime(Settings(database_url=f"sqlite:///{tmp_path}/assistance.db", kafka_bootstrap="127.0.0.1:1",
                                run_relay=False, run_consumers=False, policy_refresh_seconds=0), clock=clock)
    rt.migrate()
    return rt


def published_5301_v1() -> Event:
    """As the policy service publishes it (policy.handlers.published_data): Kunming's version 1 from 2027-01-01,
    the dibao standard 700 merged onto Yunnan's 53-v2 document."""
    parent = next(e for e in baseline_entries() if e.rule_version == "53-v2")
    overrides = {"standards": {"dibao_standard_yuan_per_person_month": 700}}
    return Event(type=POLICY_PUBLISHED, source="/services/policy", subject="5301-v1", data={
        "ruleset_id": "rs-5301-1", "region": "5301", "version": 1, "rule_version": "5301-v1",
        "title": "Kunming 2027 (test)", "effective_from": "2027-01-01", "effective_to": None,
        "legal_basis": {"document_number": "TEST-5301-2027", "url": None}, "source": "test", "replaces": "53-v2",
        "proposed_by": "province-1", "approved_by": "province-2", "published_at": "2026-12-20T02:00:00+00:00",
        "overrides": overrides, "document": merge(parent.document, overrides)})


def publish(runtime, event: Event) -> None:
    handler = next(spec for spec in runtime.consumers if spec.name == "assistance.policy").handlers[POLICY_PUBLISHED]
    with runtime.session_factory() as s, s.begin():
        handler(s, event)


def enrol(runtime, clock, household_id: str, division: str = KUNMING) -> None:
    event = Event(type="identification.household.enrolled", source="/services/identification", subject=household_id,
                  data={"case_id": f"case-{household_id}", "household_id": household_id,
                        "file_number": f"{division[:6]}-2026-000001", "division_code": division,
                        "programmes": ["dibao"], "categories": {}, "rule_version": "53-v2",
                        "enrolled_at": clock.now().isoformat(), "member_count": 2, "scores": {},
                        "per_capita_monthly_income_yuan": 400.0})
    runtime.registry.validate(event.envelope())
    with runtime.session_factory() as s, s.begin():
        handlers.on_household_enrolled(s, event, runtime.services)


def dibao_benefit(runtime, household_id: str) -> Benefit:
    with runtime.session_factory() as s:
        return s.execute(select(Benefit).where(Benefit.household_id == household_id,
                                               Benefit.kind == "dibao_top_up")).scalar_one()


def test_a_published_version_applies_from_its_first_day_without_a_restart(runtime, clock):
    svc = runtime.services
    assert svc.rules_for(KUNMING, date(2027, 1, 1)).version == "53-v2", "read (and cached) before the publication"
    enrol(runtime, clock, "hh-before")  # 31 December 2026: Yunnan's 53-v2, standard 600

    publish(runtime, published_5301_v1())
    with runtime.session_factory() as s:
        assert s.execute(select(policy_rulesets.c.rule_version)).scalars().all() == ["5301-v1"]

    assert svc.rules_for(KUNMING, date(2026, 12, 31)).version == "53-v2"
    rules = svc.rules_for(KUNMING, date(2027, 1, 1))
    assert (rules.version, rules.region, rules.effective_from) == ("5301-v1", "5301", date(2027, 1, 1))
    assert rules.decimal("cash", "dibao", "standard_yuan_per_person_month") == Decimal("700")
    assert rules.decimal("cash", "temporary", "max_yuan_per_household") == Decimal("6000"), "inherited from 53-v2"
    # 16:00 UTC on 31 December is 1 January in China
    assert svc.rules_for(KUNMING, datetime(2026, 12, 31, 16, 0, tzinfo=timezone.utc)).version == "5301-v1"
    assert svc.rules_for(ZHAOTONG, date(2027, 1, 1)).version == "53-v2", "only Kunming's prefecture"
    assert svc.rules_for(GUIZHOU, date(2027, 1, 1)).version == "CN-v1"

    clock.advance(days=2)  # 2 January 2027
    enrol(runtime, clock, "hh-after")
    after = dibao_benefit(runtime, "hh-after")
    assert (after.amount_yuan, after.rule_version) == (Decimal("600.00"), "5301-v1"), "(700 - 400) x 2"
    assert "5301-v1" in after.explanation_en and "5301-v1" in after.explanation_zh
    before = dibao_benefit(runtime, "hh-before")
    assert (before.amount_yuan, before.rule_version) == (Decimal("400.00"), "53-v2"), "(600 - 400) x 2, as computed"


def test_a_redelivered_publication_changes_nothing(runtime):
    publish(runtime, published_5301_v1())
    publish(runtime, published_5301_v1())
    with runtime.session_factory() as s:
        assert s.execute(select(policy_rulesets.c.rule_version)).scalars().all() == ["5301-v1"]
    assert runtime.services.rules_for(KUNMING, date(2027, 1, 1)).version == "5301-v1"
