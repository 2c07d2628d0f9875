"""Screening follows published policy without a restart: a `policy.ruleset.published` event kept in discovery's
replica (SQLite here) is used from its first day by the next records screened; the replica is not read per record."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event as sa_event

from discovery.domain.screening import Screener, rule_set_from_policy
from discovery.domain.signals import SignalRecord
from discovery.models import metadata, policy_rulesets
from shared.db import make_engine, make_session_factory
from shared.envelope import Event
from shared.policy_client import POLICY_PUBLISHED, PolicyRules, PolicyStore, baseline_entries, merge

KUNMING = "530102001001"  # 5301: Kunming, Yunnan
DALI = "532901001001"  # 5329: Dali, Yunnan


@pytest.fixture
def session_factory(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'discovery.db'}")
    metadata.create_all(engine)
    yield make_session_factory(engine)
    engine.dispose()


def record(on: date, division: str = KUNMING, per_stay: str = "5500.01") -> SignalRecord:
    return SignalRecord("medical_insurance", "MI-1", "medical_expense", "11010519491231002X", division, on,
                        "monitored", {"per_stay_yuan": Decimal(per_stay)})


def published(overrides: dict) -> Event:
    """What the policy service publishes for version 1 of region 5301 from 2027 (handlers.published_data's fields):
    the complete document, Yunnan's version in force then (53-v2) with the overrides merged in."""
    baseline = next(e for e in baseline_entries() if e.rule_version == "53-v2")
    data = {"ruleset_id": "r-5301-1", "region": "5301", "version": 1, "rule_version": "5301-v1",
            "title": "Kunming 2027 (test)", "effective_from": "2027-01-01", "effective_to": None,
            "legal_basis": {"document_number": "TEST-5301-2027", "url": None}, "source": "test", "replaces": None,
            "proposed_by": "province-53", "approved_by": "province-53", "published_at": "2026-12-20T02:00:00+00:00",
            "overrides": overrides, "document": merge(baseline.document, overrides)}
    return Event(type=POLICY_PUBLISHED, source="policy", subject="5301-v1", data=data)


def test_a_published_version_is_used_from_its_first_day_without_a_restart(session_factory):
    rules = PolicyRules("screening", build=rule_set_from_policy, table=policy_rulesets,
                        session_factory=session_factory, refresh_seconds=0)
    screener = Screener(rules)
    assert screener.rules_for(KUNMING, date(2027, 1, 1)).version == "53-v2"
    # 5500.01 is below the per-stay threshold (6000) for a monitored household until the new version
    assert screener.screen(record(date(2027, 1, 1))) is None

    with session_factory() as session:
        PolicyStore(policy_rulesets).handler(
            session, published({"screening": {"parameters": {"medical_per_stay_vulnerable_yuan": "5500"}}}))
        session.commit()

    assert screener.rules_for(KUNMING, date(2026, 12, 31)).version == "53-v2"  # before its first day
    assert screener.rules_for(DALI, date(2027, 1, 1)).version == "53-v2"  # another prefecture of Yunnan
    clue = screener.screen(record(date(2027, 1, 1)))
    assert (clue.rule_id, clue.rule_version) == ("medical.per_stay.vulnerable", "5301-v1")
    assert clue.evidence["threshold"] == "5500" and clue.evidence["rule_set"] == "5301-v1"
    assert "¥5500" in clue.explanation_en and "¥5500" in clue.explanation_zh
    assert screener.screen(record(date(2027, 1, 1), DALI)) is None  # Dali keeps 6000
    assert screener.screen(record(date(2026, 12, 31))) is None
    # the rest of the document is Yunnan's 2026 one: the reference income 17000 still applies in Kunming
    assert screener.rules_for(KUNMING, date(2027, 1, 1)).parameters[
        "standards.reference_income_yuan_per_person_year"] == Decimal("17000")


def test_a_redelivered_event_changes_nothing(session_factory):
    store = PolicyStore(policy_rulesets)
    event = published({"screening": {"parameters": {"medical_per_stay_vulnerable_yuan": "5500"}}})
    for _ in range(2):
        with session_factory() as session:
            store.handler(session, event)
            session.commit()
    with session_factory() as session:
        assert store.count(session) == 1


def test_screening_a_batch_does_not_read_the_replica_per_record(session_factory):
    engine = session_factory.kw["bind"]
    statements: list[str] = []
    sa_event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    rules = PolicyRules("screening", build=rule_set_from_policy, table=policy_rulesets,
                        session_factory=session_factory, refresh_seconds=3600)
    screener = Screener(rules)
    days = [date(2025, 1, 1), date(2025, 6, 1), date(2026, 3, 1)]
    clues = [screener.screen(record(days[i % 3], KUNMING if i % 2 else DALI, "6000.01")) for i in range(1000)]
    assert {clue.rule_version for clue in clues} == {"53-v1", "53-v2"}
    assert len(statements) == 2  # the replica read once (its row count, then its rows), not per record
