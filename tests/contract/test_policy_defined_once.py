"""A shared standard (dibao standard, monitoring line, reference income) exists once: in the `standards` section of
the policy documents. Every service reads it from there through shared.policy_client.project, at the places listed
in STANDARD_PATHS, so two services cannot disagree on it.

The checks fail when a second copy appears: a rule file back in a service package, a standard's number in a
service's section of a bundle file or in any JSON of services/, shared/ or deploy/, or a service reading a standard
from a path the projection does not fill.
"""
from __future__ import annotations

import copy
import importlib
import json
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from shared import policy_client
from shared.policy_client import STANDARD_PATHS, STANDARDS, baseline_entries, project

ROOT = Path(__file__).resolve().parents[2]
# Every key under which a shared standard has ever been kept, in any section.
STANDARD_KEYS = set(STANDARDS) | {path[-1] for paths in STANDARD_PATHS.values() for path in paths} | {
    "rural_income_last_year_yuan", "line_yuan_per_person_year"}
SCANNED = ("services", "shared", "deploy")
SERVICES = {"identification": "identification", "assistance": "assistance", "gradual_exit": "gradual_exit",
            "followup": "followup", "screening": "discovery"}


def copies(node, path=()) -> list[str]:
    """Every place in a JSON tree where a standard's key holds a number outside a `standards` object."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            here = (*path, str(key))
            if key == "standards" and isinstance(value, dict):
                continue
            if key in STANDARD_KEYS and isinstance(value, (int, float, str)) and not isinstance(value, bool):
                found.append(".".join(here))
            found += copies(value, here)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found += copies(item, (*path, str(index)))
    return found


def json_files(root: Path):
    for top in SCANNED:
        for path in sorted((root / top).rglob("*.json")):
            if not any(part in {"node_modules", "__pycache__", ".venv", "var"} for part in path.parts):
                yield path


def scan(root: Path) -> list[str]:
    problems = []
    for path in json_files(root):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        problems += [f"{path.relative_to(root)}: {where}" for where in copies(data)]
    return problems


def test_no_json_file_keeps_a_second_copy_of_a_standard():
    assert scan(ROOT) == []


def test_the_scan_finds_a_copy_when_one_appears(tmp_path):
    # the check itself can fail: put a service rule file with its own dibao standard into a copy of the tree
    bundle = tmp_path / "shared" / "policy_bundle"
    bundle.mkdir(parents=True)
    national = json.loads((ROOT / "shared/policy_bundle/national.json").read_text(encoding="utf-8"))
    (bundle / "national.json").write_text(json.dumps(national), encoding="utf-8")
    assert scan(tmp_path) == []
    rules = tmp_path / "services" / "assistance" / "assistance" / "rules"
    rules.mkdir(parents=True)
    (rules / "national.json").write_text(json.dumps(
        {"params": {"cash": {"dibao": {"standard_yuan_per_person_month": 543}}}}), encoding="utf-8")
    national["document"]["followup"]["income"] = {"monitoring_line_yuan_per_person_year": 8800}
    (bundle / "national.json").write_text(json.dumps(national), encoding="utf-8")
    assert sorted(scan(tmp_path)) == [
        "services/assistance/assistance/rules/national.json: params.cash.dibao.standard_yuan_per_person_month",
        "shared/policy_bundle/national.json: document.followup.income.monitoring_line_yuan_per_person_year"]


def test_no_service_package_ships_rule_files():
    shipped = []
    for package in SERVICES.values():
        for path in sorted((ROOT / "services" / package / package).rglob("*.json")):
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and ("params" in data or "parameters" in data or "rules" in data):
                shipped.append(str(path.relative_to(ROOT)))
    assert shipped == [], "rule data belongs in the policy documents (shared/policy_bundle or POLICY_DIR)"


def test_every_standard_a_service_requires_is_filled_from_the_standards():
    """A service's required parameter that is a standard must come from the projection, not from its section."""
    for section, package in SERVICES.items():
        try:
            rules = importlib.import_module(f"{package}.domain.rules")
        except ModuleNotFoundError:
            continue  # discovery's screening keeps its rules in domain.screening and names standards by parameter
        for path in getattr(rules, "REQUIRED_PARAMS", ()):
            if path[-1] in STANDARD_KEYS:
                assert tuple(path) in STANDARD_PATHS[section], f"{package} reads {'.'.join(path)} from its own section"


def _with_standards(document: dict, values: dict) -> dict:
    changed = copy.deepcopy(document)
    changed["standards"] = dict(values)
    return changed


@settings(max_examples=25, deadline=None)
@given(st.fixed_dictionaries({name: st.integers(min_value=1, max_value=1_000_000) for name in STANDARDS}))
def test_every_service_reads_the_one_value_of_each_standard(values):
    for entry in baseline_entries():
        document = _with_standards(entry.document, values)
        seen: dict[str, set] = {name: set() for name in STANDARDS}
        for section, paths in STANDARD_PATHS.items():
            params = project(document, section)
            for path, standard in paths.items():
                node = params
                for key in path:
                    node = node[key]
                seen[standard].add(Decimal(node))
        assert seen == {name: {Decimal(values[name])} for name in STANDARDS}


def test_the_dibao_standard_reaches_identification_assistance_and_gradual_exit_from_one_place():
    users = {section for section, paths in STANDARD_PATHS.items() if STANDARDS[0] in paths.values()}
    assert {"identification", "assistance", "gradual_exit"} <= users
    monitoring = {section for section, paths in STANDARD_PATHS.items() if STANDARDS[1] in paths.values()}
    assert {"identification", "gradual_exit", "followup"} <= monitoring
    assert policy_client.shipped_national()["document"]["standards"]["dibao_standard_yuan_per_person_month"] == 542


def test_the_required_parameters_contract_is_what_the_services_require():
    from tests.contract.export_policy_requirements import TARGET, text
    assert (ROOT / "contracts" / TARGET).read_text(encoding="utf-8") == text(), "run `make contracts`"


def test_policy_refuses_a_document_without_a_parameter_a_service_requires():
    from policy.domain import document as doc
    national = copy.deepcopy(baseline_entries()[0].document)
    assert doc.document_problems(national) == []
    del national["gradual_exit"]["programmes"]["dibao"]["observation_months"]
    del national["identification"]["appeal"]
    found = [(p.path, p.rule) for p in doc.document_problems(national)]
    assert ("gradual_exit.programmes.dibao.observation_months", "required_parameter") in found
    assert ("identification.appeal.reconsideration_days", "required_parameter") in found
