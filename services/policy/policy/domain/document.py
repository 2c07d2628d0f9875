"""The policy document's rules, as pure functions: merge a partial document of overrides onto the one it replaces,
check the result against the JSON Schema and the semantic rules, compare two documents, check effective periods.

Every problem names the parameter path (dotted, e.g. ``standards.dibao_standard_yuan_per_person_month``) and the
rule it breaks, in English and Chinese.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from shared.contracts import contracts_dir
from shared.policy_client import merge as shared_merge
from shared.rule_data import has_path, kind

SECTIONS = ("standards", "identification", "screening", "assistance", "gradual_exit", "followup", "calendar")
# Places where an override may add keys the replaced document lacks: a new calendar year is a new key.
OPEN_OBJECTS = {("calendar", "years")}
KIND_ZH = {"number": "数值", "string": "文字", "boolean": "是/否", "list": "列表", "object": "对象", "null": "空值"}


@dataclass(frozen=True)
class Problem:
    path: str
    rule: str
    message: str
    message_zh: str

    def as_dict(self) -> dict:
        return {"field": self.path, "rule": self.rule, "message": self.message, "message_zh": self.message_zh}


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads((contracts_dir() / "policy" / "policy-document.schema.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    Draft202012Validator.check_schema(schema())
    return Draft202012Validator(schema(), format_checker=FormatChecker())


@lru_cache(maxsize=1)
def _release_validator() -> Draft202012Validator:
    release = {"$schema": schema()["$schema"], "$defs": schema()["$defs"], "$ref": "#/$defs/release"}
    return Draft202012Validator(release, format_checker=FormatChecker())


def _dotted(parts) -> str:
    return ".".join(str(p) for p in parts)


def _schema_problems(validator: Draft202012Validator, instance: Any, prefix: str) -> list[Problem]:
    problems = []
    for err in sorted(validator.iter_errors(instance), key=lambda e: (list(map(str, e.absolute_path)), e.validator)):
        path = _dotted([p for p in (prefix, *err.absolute_path) if p != ""])
        problems.append(Problem(path or "<document>", f"schema.{err.validator}", err.message,
                                f"参数 {path or '文件'} 不符合政策文件格式要求（{err.validator}）"))
    return problems


@lru_cache(maxsize=1)
def required_parameters() -> dict[str, list[str]]:
    """What every service's rules require in its section (contracts/policy/required-parameters.json, generated
    from the services' REQUIRED_PARAMS by `make contracts`)."""
    data = json.loads((contracts_dir() / "policy" / "required-parameters.json").read_text(encoding="utf-8"))
    return data["sections"]


def required_problems(document: dict) -> list[Problem]:
    """Every parameter a service requires is in its section: a version policy publishes is one every service can
    apply (the standards come from `standards`)."""
    problems = []
    for section, paths in required_parameters().items():
        for dotted in paths:
            if not has_path(document.get(section), tuple(dotted.split("."))):
                path = f"{section}.{dotted}"
                problems.append(Problem(path, "required_parameter",
                                        f"{path} is required by the {section} service's rules and is missing",
                                        f"缺少 {section} 服务规则必需的参数 {path}"))
    return problems


def document_problems(document: Any) -> list[Problem]:
    """A complete document against the schema, then every service's required parameters, then the semantic rules."""
    problems = _schema_problems(_validator(), document, "")
    return problems or required_problems(document) or semantic_problems(document)


def release_problems(release: Any) -> list[Problem]:
    """A POLICY_DIR file (or a draft's fields) against the schema's `release` definition."""
    return _schema_problems(_release_validator(), release, "")


def override_problems(base: dict, overrides: dict, _path: tuple = ()) -> list[Problem]:
    """Only parameters the replaced document has, each with a value of the same kind (a number stays a number)."""
    problems = []
    for key, value in overrides.items():
        path = (*_path, key)
        if key not in base:
            if _path in OPEN_OBJECTS:
                continue
            problems.append(Problem(_dotted(path), "unknown_parameter",
                                    f"{_dotted(path)} is not a parameter of the policy document",
                                    f"政策文件中没有参数 {_dotted(path)}"))
        elif isinstance(base[key], dict) and isinstance(value, dict):
            problems += override_problems(base[key], value, path)
        elif base[key] is not None and value is not None and kind(base[key]) != kind(value):
            problems.append(Problem(_dotted(path), "same_kind",
                                    f"{_dotted(path)} must be a {kind(base[key])}, like the value it replaces, "
                                    f"not a {kind(value)}",
                                    f"参数 {_dotted(path)} 应为{KIND_ZH[kind(base[key])]}（与被替换的值相同），"
                                    f"而不是{KIND_ZH[kind(value)]}"))
    return problems


merge = shared_merge  # the one merge: every service resolves the shipped bundle with it too


def diff(before: dict | None, after: dict, _path: tuple = ()) -> list[dict]:
    """Every parameter whose value differs: [{path, before, after}] in path order (lists compare whole)."""
    before = before or {}
    changes = []
    for key in sorted(set(before) | set(after), key=str):
        path = (*_path, key)
        old, new = before.get(key), after.get(key)
        if isinstance(old, dict) and isinstance(new, dict):
            changes += diff(old, new, path)
        elif old != new or (key in before) != (key in after):
            changes.append({"path": _dotted(path), "before": old, "after": new})
    return changes


# -- semantic rules ---------------------------------------------------------------------------------------------

def _d(value: Any) -> Decimal:
    return Decimal(str(value))


def _get(document: dict, path: str) -> Any:
    node: Any = document
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def semantic_problems(document: dict) -> list[Problem]:
    """The rules a schema cannot say: thresholds that must stay in order, weights that must add up."""
    problems: list[Problem] = []
    s = document["standards"]
    if _d(s["monitoring_line_yuan_per_person_year"]) < _d(s["dibao_standard_yuan_per_person_month"]) * 12:
        problems.append(Problem(
            "standards.monitoring_line_yuan_per_person_year", "monitoring_line_not_below_dibao_standard",
            f"the monitoring line ({s['monitoring_line_yuan_per_person_year']} a year) must not be below twelve months "
            f"of the dibao standard ({_d(s['dibao_standard_yuan_per_person_month']) * 12} a year)",
            f"防止返贫监测线（每年 {s['monitoring_line_yuan_per_person_year']} 元）不得低于 12 个月的低保标准"
            f"（每年 {_d(s['dibao_standard_yuan_per_person_month']) * 12} 元）"))
    for path, floor in (("identification.near_dibao.income_factor_of_dibao_standard", 1),
                        ("identification.monitoring.unstable_income_factor_of_line", 1)):
        value = _get(document, path)
        if _number(value) and _d(value) < floor:
            problems.append(Problem(path, "factor_at_least_one",
                                    f"{path} must be at least {floor} (the line it scales is the lower bound)",
                                    f"参数 {path} 不得小于 {floor}（其所乘的标准是下限）"))
    identification = document["identification"]
    for programme, params in sorted(identification.items()) if isinstance(identification, dict) else ():
        deadline = params.get("deadline") if isinstance(params, dict) else None
        if isinstance(deadline, dict) and _number(deadline.get("working_days")) \
                and _number(deadline.get("extended_working_days")) \
                and deadline["extended_working_days"] < deadline["working_days"]:
            path = f"identification.{programme}.deadline.extended_working_days"
            problems.append(Problem(path, "extended_deadline_not_shorter",
                                    f"{path} must not be shorter than the ordinary deadline ({deadline['working_days']})",
                                    f"参数 {path} 不得短于正常办理时限（{deadline['working_days']} 个工作日）"))
    weights = _get(document, "assistance.priority.weights")
    if isinstance(weights, dict) and weights and all(_number(w) for w in weights.values()):
        total = sum(_d(w) for w in weights.values())
        if total != 1 or any(_d(w) < 0 for w in weights.values()):
            problems.append(Problem("assistance.priority.weights", "weights_add_up_to_one",
                                    f"the priority weights must be at least 0 and add up to 1; they add up to {total}",
                                    f"优先级权重均不得为负且合计应为 1，现合计为 {total}"))
    programmes = _get(document, "gradual_exit.programmes")
    for programme, params in sorted(programmes.items()) if isinstance(programmes, dict) else ():
        line = params.get("line") if isinstance(params, dict) else None
        if isinstance(line, dict) and len(line) != 1:
            path = f"gradual_exit.programmes.{programme}.line"
            problems.append(Problem(path, "one_line_kind",
                                    f"{path} must give exactly one way to set the line (e.g. factor_of_dibao_standard); "
                                    f"it gives {', '.join(sorted(line)) or 'none'}. A regional version changes a "
                                    f"line's value, not its kind",
                                    f"参数 {path} 须且只能给出一种标准设定方式，现为 {'、'.join(sorted(line)) or '无'}"))
        shares = params.get("support_share_by_month") if isinstance(params, dict) else None
        if not isinstance(shares, list):
            continue
        path = f"gradual_exit.programmes.{programme}.support_share_by_month"
        if not all(_number(x) and 0 <= _d(x) <= 1 for x in shares):
            problems.append(Problem(path, "share_between_zero_and_one", f"every share in {path} is between 0 and 1",
                                    f"参数 {path} 的每个比例须在 0 到 1 之间"))
        elif any(_d(b) > _d(a) for a, b in zip(shares, shares[1:])):
            problems.append(Problem(path, "taper_never_rises",
                                    f"{path} must not rise from one month to the next (support tapers off)",
                                    f"参数 {path} 逐月不得上升（渐退期救助只减不增）"))
    schedule = _get(document, "followup.schedule")
    if isinstance(schedule, dict) and _number(schedule.get("interval_months")) \
            and _number(schedule.get("duration_months")) and schedule["duration_months"] < schedule["interval_months"]:
        problems.append(Problem("followup.schedule.duration_months", "duration_at_least_one_interval",
                                "the follow-up period must last at least one check-in interval",
                                "长期跟踪期限不得短于一个回访周期"))
    parameters = _get(document, "screening.parameters") or {}
    for index, rule in enumerate(_get(document, "screening.rules") or []):
        for name in _parameter_references(rule):
            if name not in parameters and not (name.startswith("standards.") and
                                               name.removeprefix("standards.") in document["standards"]):
                path = f"screening.rules.{index}"
                problems.append(Problem(path, "parameter_defined",
                                        f"screening rule {rule.get('id')!r} uses parameter {name!r}, which is "
                                        f"neither in screening.parameters nor in standards",
                                        f"筛查规则 {rule.get('id')} 引用的参数 {name} 未定义"))
    return problems


def _parameter_references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["parameter"]] if isinstance(node.get("parameter"), str) else []
        for value in node.values():
            found += _parameter_references(value)
        return found
    if isinstance(node, list):
        return [name for item in node for name in _parameter_references(item)]
    return []


# -- effective periods -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    version: int
    effective_from: date
    effective_to: date | None

    def covers(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    def intersects(self, other: "Period") -> bool:
        return (other.effective_to is None or self.effective_from <= other.effective_to) and \
               (self.effective_to is None or other.effective_from <= self.effective_to)


def period_problems(new: Period, approved: list[Period], today: date) -> list[Problem]:
    """Dates in order, not in the past, a version number above every earlier one of the region, and no overlap.

    An open-ended version is superseded from the start of a later one of the same region (versions are never
    edited, so a new standard cannot first shorten the old one): only periods where one of the two has an end
    date, or both start on the same day, overlap."""
    problems = []
    if new.effective_to is not None and new.effective_to < new.effective_from:
        problems.append(Problem("effective_to", "dates_in_order",
                                f"effective_to {new.effective_to} is before effective_from {new.effective_from}",
                                f"失效日期 {new.effective_to} 早于生效日期 {new.effective_from}"))
    if new.effective_from < today:
        problems.append(Problem("effective_from", "not_retroactive",
                                f"effective_from {new.effective_from} is in the past (today is {today}); decisions "
                                f"already taken keep the version they used",
                                f"生效日期 {new.effective_from} 早于今天（{today}），已作出的决定沿用原版本"))
    latest = max((p.version for p in approved), default=None)
    if latest is not None and new.version <= latest:
        problems.append(Problem("version", "version_increases",
                                f"version {new.version} must be above {latest}, the region's latest approved version",
                                f"版本号 {new.version} 须大于本地区已批准的最新版本号 {latest}"))
    for other in sorted(approved, key=lambda p: p.effective_from):
        if new.intersects(other) and (new.effective_to is not None or other.effective_to is not None
                                      or new.effective_from == other.effective_from):
            problems.append(Problem("effective_from", "no_overlap",
                                    f"the period overlaps approved version {other.version} "
                                    f"({other.effective_from} to {other.effective_to or 'open'})",
                                    f"生效期间与已批准的第 {other.version} 版（{other.effective_from} 至 "
                                    f"{other.effective_to or '长期'}）重叠"))
    return problems
