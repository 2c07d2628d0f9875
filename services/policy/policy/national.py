"""The national default document, built at first start from the national rule files the platform ships.

Until the services read their rules from the policy service, their own national files are the source: this
module reads them (no number is copied by hand), lifts the parameters several services share into `standards`,
and refuses to start when two files disagree on one of them (e.g. identification's and assistance's dibao
standard), naming both files and both values.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
SOURCES = {
    "identification": ROOT / "services/identification/identification/rules",
    "assistance": ROOT / "services/assistance/assistance/rules",
    "gradual_exit": ROOT / "services/gradual_exit/gradual_exit/rules",
    "followup": ROOT / "services/followup/followup/rules",
    "screening": ROOT / "services/discovery/discovery/screening_rules",
}
CALENDARS = ROOT / "shared/calendars"
STANDARDS = ("dibao_standard_yuan_per_person_month", "monitoring_line_yuan_per_person_year",
             "reference_income_yuan_per_person_year")
# Where each national file keeps a shared standard today: (section, path inside the file's parameters, standard).
SHARED = [
    ("identification", ("dibao", "standard_yuan_per_person_month"), STANDARDS[0]),
    ("identification", ("monitoring", "line_yuan_per_person_year"), STANDARDS[1]),
    ("identification", ("reference", "rural_disposable_income_yuan_per_person_year"), STANDARDS[2]),
    ("assistance", ("cash", "dibao", "standard_yuan_per_person_month"), STANDARDS[0]),
    ("gradual_exit", ("reference", "dibao_standard_yuan_per_person_month"), STANDARDS[0]),
    ("gradual_exit", ("reference", "rural_disposable_income_yuan_per_person_year"), STANDARDS[2]),
    ("gradual_exit", ("programmes", "monitoring", "line", "yuan_per_person_year"), STANDARDS[1]),
    ("followup", ("income", "monitoring_line_yuan_per_person_year"), STANDARDS[1]),
    ("followup", ("medical", "reference_income_yuan_per_person_year"), STANDARDS[2]),
    ("screening", ("rural_income_last_year_yuan",), STANDARDS[2]),
]
# A parameter that became a standard is cited by discovery's rules as {"parameter": name}: they now cite the standard.
SCREENING_ALIASES = {"rural_income_last_year_yuan": "standards." + STANDARDS[2]}


class NationalDefaultsError(ValueError):
    """The shipped national files are unreadable or disagree on a shared standard."""


@dataclass(frozen=True)
class NationalDefaults:
    document: dict
    effective_from: date
    sources: dict[str, str]  # section -> the version of the file it came from


def _national_file(folder: Path) -> tuple[Path, dict]:
    found = []
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise NationalDefaultsError(f"{path}: not readable JSON ({exc})") from None
        if isinstance(data, dict) and data.get("region") == "":
            found.append((data.get("effective_from", ""), path, data))
    if not found:
        raise NationalDefaultsError(f"{folder}: no national rule file (region \"\")")
    _start, path, data = max(found, key=lambda f: f[0])
    return path, data


def _pop(params: dict, path: tuple[str, ...]) -> Any:
    node = params
    for key in path[:-1]:
        node = node[key]
    return node.pop(path[-1])


def build(sources: dict[str, Path] | None = None, calendars: Path | None = None) -> NationalDefaults:
    sources = sources or SOURCES
    files = {section: _national_file(folder) for section, folder in sources.items()}
    params = {section: copy.deepcopy(data["params"] if section != "screening" else data["parameters"])
              for section, (_path, data) in files.items()}
    standards: dict[str, tuple[Any, str]] = {}
    for section, path, standard in SHARED:
        try:
            value = _pop(params[section], path)
        except (KeyError, TypeError):
            raise NationalDefaultsError(f"{files[section][0]}: no {'.'.join(path)} (the {standard})") from None
        value = float(value) if isinstance(value, str) else value
        where = f"{files[section][0].name}: {'.'.join(path)}"
        if standard in standards and standards[standard][0] != value:
            raise NationalDefaultsError(f"{where} is {value} but {standards[standard][1]} is "
                                        f"{standards[standard][0]}: the {standard} must be the same everywhere")
        standards.setdefault(standard, (value, where))
    for section in ("identification", "gradual_exit"):
        if params[section].get("reference") == {}:
            del params[section]["reference"]
    # gradual_exit's monitoring programme exits at the monitoring line itself
    params["gradual_exit"]["programmes"]["monitoring"]["line"] = {"factor_of_monitoring_line": 1}
    screening_file = files["screening"][1]
    rules = json.loads(json.dumps(screening_file["rules"]))
    _rename_parameters(rules)
    calendar_years = {}
    for path in sorted((calendars or CALENDARS).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        calendar_years[str(data["year"])] = {k: data[k] for k in ("days_off", "makeup_working_days")}
    document = {
        "standards": {name: standards[name][0] for name in STANDARDS},
        "identification": params["identification"],
        "screening": {"parameters": params["screening"], "rules": rules},
        "assistance": params["assistance"],
        "gradual_exit": params["gradual_exit"],
        "followup": params["followup"],
        "calendar": {"years": calendar_years},
    }
    start = min(date.fromisoformat(data["effective_from"]) for _p, data in files.values())
    return NationalDefaults(document, start, {s: str(data["version"]) for s, (_p, data) in files.items()})


def _rename_parameters(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("parameter") in SCREENING_ALIASES:
            node["parameter"] = SCREENING_ALIASES[node["parameter"]]
        for value in node.values():
            _rename_parameters(value)
    elif isinstance(node, list):
        for item in node:
            _rename_parameters(item)
