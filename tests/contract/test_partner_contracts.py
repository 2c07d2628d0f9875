"""The partners' contract (contracts/asyncapi-partners.yaml, contracts/partners/) is generated from the agreements,
lists every agreement's topic, and every partner event the exchange tests project validates against its schema."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

from shared.contracts import ContractRegistry, contracts_dir
from tests.contract.export_asyncapi_partners import ROOT, build

sys.path.insert(0, str(ROOT / "services" / "exchange"))

from exchange.bootstrap import AGREEMENTS_DIR  # noqa: E402
from exchange.domain.agreements import load_agreements  # noqa: E402

PARTNERS = contracts_dir() / "partners"


def _doc() -> dict:
    return yaml.safe_load((contracts_dir() / "asyncapi-partners.yaml").read_text(encoding="utf-8"))


def test_the_partner_contract_is_generated_from_the_agreements():
    doc, schemas, examples = build()
    assert _doc() == doc, "contracts/asyncapi-partners.yaml is stale: run `make contracts` and commit"
    on_disk = {p.name.rsplit(".v", 1)[0]: json.loads(p.read_text(encoding="utf-8"))
               for p in (PARTNERS / "events").glob("*.schema.json")}
    assert on_disk == schemas, "contracts/partners/events is stale: run `make contracts`"
    on_disk = {p.name.rsplit(".v", 1)[0]: json.loads(p.read_text(encoding="utf-8"))
               for p in (PARTNERS / "examples").glob("*.json")}
    assert on_disk == examples, "contracts/partners/examples is stale: run `make contracts`"


def test_the_document_lists_every_agreements_topic_and_event():
    doc = _doc()
    assert doc["asyncapi"].startswith("3.")
    for agreement in load_agreements(AGREEMENTS_DIR):
        channel = doc["channels"][agreement.topic()]
        assert channel["x-department"] == agreement.department
        assert set(channel["messages"]) == set(agreement.partner_types())
        assert f"{agreement.department}.receive.{agreement.topic()}" in doc["operations"]
        for t in agreement.partner_types():
            ref = doc["components"]["messages"][t]["payload"]["schema"]["$ref"]
            assert (contracts_dir() / ref).exists()
            for ex in doc["components"]["messages"][t]["examples"]:
                assert (contracts_dir() / ex["payload"]["$ref"]).exists()


def test_every_example_validates_and_carries_only_allowed_fields():
    registry = ContractRegistry(PARTNERS)
    agreements = {a.topic(): a for a in load_agreements(AGREEMENTS_DIR)}
    examples = list((PARTNERS / "examples").glob("*.json"))
    assert len(examples) == sum(len(a.partner_types()) for a in agreements.values())
    for path in examples:
        envelope = json.loads(path.read_text(encoding="utf-8"))
        registry.validate(envelope)
        assert "per_capita_monthly_income_yuan" not in envelope["data"] and "scores" not in envelope["data"]


def test_every_event_the_projection_tests_make_validates_against_its_schema():
    """Runs the projection unit tests' cases and validates what each yields (the contract a partner builds on)."""
    import dataclasses
    from datetime import date

    from exchange.domain.consent import NO_DECISIONS
    from exchange.domain.projection import project
    from shared.envelope import Event

    sys.path.insert(0, str(ROOT / "services" / "exchange" / "tests" / "unit"))
    import test_projection as cases

    registry = ContractRegistry(PARTNERS)
    made = 0
    for agreement in cases.AGREEMENTS.values():
        for event in (cases.enrolled(), cases.enrolled(["tekun", "medical"]), cases.exited("dibao"),
                      cases.exited("monitoring")):
            for roster in (cases.ROSTER, cases.Roster(), cases.Roster((cases.ADULT,))):
                for pe in project(agreement, event, roster, NO_DECISIONS, date(2026, 12, 15)):
                    registry.validate(Event(type=pe.type, source="/services/exchange", subject=pe.subject,
                                            data=pe.data).envelope())
                    made += 1
    assert made >= 8
