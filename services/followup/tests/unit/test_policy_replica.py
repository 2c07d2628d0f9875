"""A policy version published while followup runs reaches its decisions without a restart: the consumer bootstrap
wires keeps it in the replica table (SQLite, migrated), and the next lookup chooses it."""
from datetime import date

import pytest
from sqlalchemy import func, select

from followup.bootstrap import build_runtime
from followup.config import Settings
from followup.models import policy_rulesets
from shared.contracts import registry
from shared.envelope import Event
from shared.policy_client import POLICY_PUBLISHED, baseline_entries, merge

LINE = ("income", "monitoring_line_yuan_per_person_year")


@pytest.fixture
def runtime(tmp_path):
    runtime = build_runtime(Settings(database_url=f"sqlite:///{tmp_path}/followup.db"))
    runtime.migrate()
    runtime.services.rules.refresh_seconds = 0  # read the replica on every lookup (default: at most once a second)
    yield runtime
    runtime.engine.dispose()


def published(region: str, version: int, effective_from: str, overrides: dict) -> Event:
    """policy.ruleset.published as the policy service writes it (policy.handlers.published_data): the complete
    document, the overrides merged onto the version in force for the region on its first day (here Yunnan's 53-v2)."""
    baseline = next(e for e in baseline_entries() if e.rule_version == "53-v2")
    rule_version = f"{region}-v{version}"
    return Event(type=POLICY_PUBLISHED, source="/services/policy", subject=rule_version, data={
        "ruleset_id": "rs-test", "region": region, "version": version, "rule_version": rule_version,
        "title": "Kunming 2027 (test) / 昆明市 2027 年（测试）", "effective_from": effective_from, "effective_to": None,
        "legal_basis": {"document_number": "TEST-5301-2027", "url": None}, "source": "api", "replaces": None,
        "proposed_by": "county-officer", "approved_by": "province-officer", "published_at": "2026-12-01T02:00:00+00:00",
        "overrides": overrides, "document": merge(baseline.document, overrides)})


def handle(runtime, event: Event) -> None:
    spec = next(s for s in runtime.consumers if s.name == "followup.policy")
    with runtime.session_factory() as session, session.begin():
        spec.handlers[POLICY_PUBLISHED](session, event)


def test_a_published_version_applies_from_its_first_day_without_a_restart(runtime):
    svc = runtime.services
    before = svc.rules_for("530102001001", date(2027, 1, 1))
    assert (before.version, before.decimal(*LINE)) == ("53-v2", 9000)

    event = published("5301", 1, "2027-01-01", {"standards": {"monitoring_line_yuan_per_person_year": 9500}})
    registry().validate(event.envelope())  # the event as the contract has it
    handle(runtime, event)
    handle(runtime, event)  # a redelivery changes nothing

    with runtime.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(policy_rulesets)) == 1
    now = svc.rules_for("530102001001", date(2027, 1, 1))
    assert (now.version, now.region, now.effective_from) == ("5301-v1", "5301", date(2027, 1, 1))
    assert now.decimal(*LINE) == 9500
    assert now.decimal("medical", "reference_income_yuan_per_person_year") == 17000, "the rest is Yunnan's"
    temporary = svc.rules_for("530102001001", date(2027, 6, 1), "temporary")
    assert (temporary.version, temporary.integer("schedule", "duration_months")) == ("5301-v1", 12)
    day_before = svc.rules_for("530102001001", date(2026, 12, 31))
    assert (day_before.version, day_before.decimal(*LINE)) == ("53-v2", 9000)
    elsewhere = svc.rules_for("530302001001", date(2027, 1, 1))
    assert (elsewhere.version, elsewhere.decimal(*LINE)) == ("53-v2", 9000)
