"""Screening of partner signals into risk clues, by rules that are data: the `screening` section of the published
policy document in force for the record's division on its date (one complete rule set per policy version)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any, Literal, Mapping

from discovery.domain.signals import HOUSEHOLD_STATUSES, SIGNAL_KINDS, SignalRecord
from shared import rule_data
from shared.policy_client import PolicyBook, PolicyEntry, PolicyRules

Severity = Literal["low", "medium", "high"]
SEVERITY_RANK: Mapping[str, int] = {"low": 1, "medium": 2, "high": 3}
RuleTest = Literal["present", "above", "at_most", "drop_above"]
RULE_TESTS: frozenset[str] = frozenset({"present", "above", "at_most", "drop_above"})
REGION_LENGTHS = (2, 4, 6, 9, 12)  # province, prefecture, county, township, village

_RULE_KEYS = frozenset({"id", "kinds", "test", "field", "baseline_field", "threshold", "statuses", "severity",
                        "explanation_en", "explanation_zh", "note"})
_SET_KEYS = frozenset({"version", "region", "effective_from", "effective_to", "parameters", "rules"})
_PRESENT, _ABOVE, _AT_MOST, _DROP_ABOVE = range(4)
_TEST_CODES = {"present": _PRESENT, "above": _ABOVE, "at_most": _AT_MOST, "drop_above": _DROP_ABOVE}
_COMPARISON = {_PRESENT: "present", _ABOVE: ">", _AT_MOST: "<=", _DROP_ABOVE: ">"}
_BASIS_POINT, _HUNDREDTH = Decimal("0.0001"), Decimal("0.01")
# Every placeholder an explanation template may use; templates are checked against these when the data is loaded.
_TEMPLATE_KEYS = ("value", "threshold", "base", "times_pct", "value_pct", "threshold_pct", "previous", "current",
                  "status", "kind", "kind_zh")


class RuleDataError(rule_data.RuleDataError):
    """The screening section of a policy version is wrong: raised when its rule set is built (first used)."""


class NoRulesInForce(rule_data.NoRuleSet):
    """No published policy (hence no screening rule set) is in force for the division on the date asked for."""


@dataclass(frozen=True)
class Threshold:
    """A fixed number, or `times` a named parameter of the rule set (e.g. 0.5 × last year's rural income)."""

    value: Decimal | None = None
    parameter: str | None = None
    times: Decimal = Decimal(1)

    def resolve(self, parameters: Mapping[str, Decimal]) -> Decimal:
        if self.parameter is None:
            return self.value  # type: ignore[return-value]
        return parameters[self.parameter] * self.times


@dataclass(frozen=True)
class ScreeningRule:
    """One warning rule: when a signal of one of `kinds` passes `test` for a household of one of `statuses`.

    Tests: `present` (the signal itself is the clue), `above` (amount > threshold), `at_most` (amount <= threshold,
    e.g. disability grade), `drop_above` ((baseline - amount) / baseline > threshold). `statuses` None means all.
    """

    id: str
    kinds: tuple[str, ...]
    test: RuleTest
    severity: Severity
    explanation_en: str
    explanation_zh: str
    field: str | None = None
    baseline_field: str | None = None
    threshold: Threshold | None = None
    statuses: frozenset[str] | None = None


@dataclass(frozen=True)
class ScreeningRuleSet:
    """The screening rules of one policy version (`version` is its rule_version, e.g. "CN-v1", "53-v2") of one region
    ("" = national), in force from `effective_from` to `effective_to`, both inclusive.

    The set is complete: a regional version carries the national rules and parameters with its overrides already
    applied by the policy service (lists, hence `rules`, are replaced whole).
    """

    version: str
    region: str
    effective_from: date
    effective_to: date | None
    rules: tuple[ScreeningRule, ...]
    parameters: Mapping[str, Decimal] = field(default_factory=dict)

    def in_force_on(self, day: date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)

    @cached_property
    def by_kind(self) -> Mapping[str, tuple[_CompiledRule, ...]]:
        """Rules by signal kind with thresholds resolved: computed once per set, so screening a record is a dict hit."""
        index: dict[str, list[_CompiledRule]] = {}
        for rule in self.rules:
            compiled = _CompiledRule(rule, self)
            for kind in rule.kinds:
                index.setdefault(kind, []).append(compiled)
        return {kind: tuple(rules) for kind, rules in index.items()}


@dataclass(frozen=True)
class RiskClue:
    """A screening hit (风险线索): to be verified by a home visit, then opened as a case or dismissed with a reason."""

    rule_id: str
    rule_version: str
    kind: str
    severity: Severity
    id_number: str
    division_code: str
    occurred_on: date
    evidence: Mapping[str, Any]
    explanation_en: str
    explanation_zh: str
    source_department: str | None = None
    external_id: str | None = None


class _CompiledRule:
    """A rule with its threshold resolved against one rule set's parameters, and everything in its clues that does
    not depend on the record (evidence, template words) worked out once."""

    __slots__ = ("rule", "test", "field", "baseline", "threshold", "statuses", "rank", "evidence", "words",
                 "needs_pct", "fixed_text")

    def __init__(self, rule: ScreeningRule, rule_set: ScreeningRuleSet):
        self.rule = rule
        self.test = _TEST_CODES[rule.test]
        self.field, self.baseline, self.statuses = rule.field, rule.baseline_field, rule.statuses
        self.rank = SEVERITY_RANK[rule.severity]
        self.threshold = None
        self.evidence: dict[str, Any] = {"comparison": _COMPARISON[self.test], "rule_set": rule_set.version}
        self.words = dict.fromkeys(_TEMPLATE_KEYS, "")
        if rule.field is not None:
            self.evidence["field"] = rule.field
        if rule.baseline_field is not None:
            self.evidence["baseline_field"] = rule.baseline_field
        if rule.threshold is not None:
            parameter = rule.threshold.parameter
            if parameter is not None and parameter not in rule_set.parameters:
                raise RuleDataError(f"rule set {rule_set.version}: rule {rule.id} uses parameter {parameter!r}, "
                                    "which its policy document does not define")
            self.threshold = threshold = rule.threshold.resolve(rule_set.parameters)
            self.evidence["threshold"] = format(threshold, "f")
            self.words.update(threshold=_plain(threshold), threshold_pct=_percent(threshold))
            if parameter is not None:
                base, times = rule_set.parameters[parameter], rule.threshold.times
                self.evidence.update(parameter=parameter, parameter_value=format(base, "f"), times=format(times, "f"))
                self.words.update(base=_plain(base), times_pct=_percent(times))
        self.needs_pct = any("{value_pct" in text for text in (rule.explanation_en, rule.explanation_zh))
        # Explanations of a `present` rule depend only on kind and status: formatted once per pair.
        self.fixed_text: dict[tuple[str, str], tuple[str, str]] = {}

    def hit(self, amounts: Mapping[str, Decimal]) -> bool:
        test = self.test
        if test == _PRESENT:
            return True
        if test == _DROP_ABOVE:
            before, now = amounts.get(self.baseline), amounts.get(self.field)
            # Multiplied out rather than divided so the comparison stays exact in Decimal.
            return before is not None and now is not None and before > 0 and before - now > self.threshold * before
        value = amounts.get(self.field)
        if value is None:
            return False
        return value > self.threshold if test == _ABOVE else value <= self.threshold

    def clue(self, record: SignalRecord, rule_version: str, also: list[str]) -> RiskClue:
        rule, amounts, status = self.rule, record.amounts, record.household_status
        evidence = self.evidence.copy()
        evidence["household_status"] = status
        if self.test == _PRESENT:
            texts = self.fixed_text.get((record.kind, status))
            if texts is None:
                texts = self.fixed_text[(record.kind, status)] = self._texts(record, {})
        elif self.test == _DROP_ABOVE:
            before, now = amounts[self.baseline], amounts[self.field]
            drop = (before - now) / before
            previous, current = format(before, "f"), format(now, "f")
            evidence.update(previous=previous, current=current, value=format(drop.quantize(_BASIS_POINT), "f"))
            texts = self._texts(record, {"previous": previous, "current": current, "value_pct": _percent(drop)})
        else:
            value = amounts[self.field]
            evidence["value"] = text = format(value, "f")
            texts = self._texts(record, {"value": text, "value_pct": _percent(value) if self.needs_pct else ""})
        if also:
            evidence["also_matched"] = also
        return RiskClue(rule.id, rule_version, record.kind, rule.severity, record.id_number, record.division_code,
                        record.occurred_on, evidence, texts[0], texts[1], record.source_department, record.external_id)

    def _texts(self, record: SignalRecord, values: dict[str, str]) -> tuple[str, str]:
        words = self.words.copy()
        words.update(values, status=record.household_status, kind=record.kind, kind_zh=SIGNAL_KINDS[record.kind].label_zh)
        return self.rule.explanation_en.format_map(words), self.rule.explanation_zh.format_map(words)


def screen(record: SignalRecord, rules: ScreeningRuleSet) -> RiskClue | None:
    """The most severe rule of `rules` that the record meets (first in rule order on a tie), or None.

    `rules` is the set in force for the record (`Screener.rules_for`); the others that matched are named in the
    clue's evidence under `also_matched`.
    """
    best: _CompiledRule | None = None
    matched: list[_CompiledRule] = []
    amounts, status = record.amounts, record.household_status
    for compiled in rules.by_kind.get(record.kind, ()):
        if compiled.statuses is not None and status not in compiled.statuses:
            continue
        if compiled.hit(amounts):
            matched.append(compiled)
            if best is None or compiled.rank > best.rank:
                best = compiled
    if best is None:
        return None
    return best.clue(record, rules.version, [m.rule.id for m in matched if m is not best] if len(matched) > 1 else [])


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")  # normalize() alone would print 10000 as 1E+4


def _percent(share: Decimal) -> str:
    return _plain((share * 100).quantize(_HUNDREDTH)) + "%"


# --- rule selection -------------------------------------------------------------------------------------------------

class Screener:
    """Screens records against the screening rules of the published policy in force for each record's division on
    its date (``PolicyRules("screening", build=rule_set_from_policy, ...)``).

    Each policy version's rule set is complete (the policy service has merged a region's overrides already) and is
    compiled once (``by_kind``). The choice of version is remembered per (division prefix, date), so screening a
    record costs a dict lookup and the rules of its kind; the replica is re-read only when ``PolicyRules`` sees it
    change (checked at most every ``refresh_seconds``), and the remembered choices are dropped then.
    """

    def __init__(self, rules: PolicyRules[ScreeningRuleSet], max_cached: int = 100_000):
        self.rules = rules
        self._book: PolicyBook | None = None
        self._longest = 0
        self._chosen: dict[tuple[str, date], ScreeningRuleSet] = {}
        self._max_cached = max_cached

    def rules_for(self, division_code: str, on: date) -> ScreeningRuleSet:
        """The rule set in force for the division on the day; NoRulesInForce if no published policy covers it."""
        book = self.rules.refresh()
        if book is not self._book:
            self._book, self._chosen = book, {}
            # Regions are division-code prefixes: codes that agree up to the longest region share their choice.
            self._longest = max((len(entry.region) for entry in book.by_version.values()), default=0)
        key = (division_code[:self._longest], on)
        found = self._chosen.get(key)
        if found is None:
            try:
                found = self.rules.for_division(division_code, on)
            except rule_data.NoRuleSet as missing:
                raise NoRulesInForce(str(missing)) from None
            if len(self._chosen) >= self._max_cached:
                self._chosen.clear()  # a bound, not an eviction policy: prefixes and dates in a file are few
            self._chosen[key] = found
        return found

    def screen(self, record: SignalRecord) -> RiskClue | None:
        return screen(record, self.rules_for(record.division_code, record.occurred_on))


# --- rule data ------------------------------------------------------------------------------------------------------

def rule_set_from_policy(entry: PolicyEntry, params: Mapping[str, Any]) -> ScreeningRuleSet:
    """The screening rule set of one published policy version: ``params`` is ``project(entry.document, "screening")``
    ({"parameters", "rules"}, the shared standards added as parameters named ``standards.<name>``).

    Version, region and effective dates are the entry's. Raises RuleDataError naming the version when a rule is
    malformed or cites a parameter the document does not define.
    """
    origin = f"policy {entry.rule_version} (screening)"
    if not isinstance(params, Mapping):
        raise RuleDataError(f"{origin}: the screening section is a JSON object")
    unknown = set(params) - {"parameters", "rules"}
    if unknown:
        raise RuleDataError(f"{origin}: unknown keys {sorted(unknown)}")
    rule_set = rule_set_from_dict({
        "version": entry.rule_version, "region": entry.region,
        "effective_from": entry.effective_from.isoformat(),
        "effective_to": entry.effective_to.isoformat() if entry.effective_to is not None else None,
        "parameters": params.get("parameters") or {}, "rules": params.get("rules") or [],
    }, origin=origin)
    rule_set.by_kind  # compile now: a parameter no one defines is refused when the version is first used
    return rule_set


def rule_set_from_dict(data: Mapping[str, Any], origin: str = "rule set") -> ScreeningRuleSet:
    """Builds a rule set from its JSON form, or raises RuleDataError naming `origin` and the entry at fault.

    Parameter names are free text (the shared standards are named ``standards.<name>``)."""
    if not isinstance(data, Mapping):
        raise RuleDataError(f"{origin}: a rule set is a JSON object")
    _no_unknown_keys(data, _SET_KEYS, origin)
    version = data.get("version")
    if not isinstance(version, str) or not version:
        raise RuleDataError(f"{origin}: version must be non-empty text")
    region = data.get("region", "")
    if not isinstance(region, str) or (region and (not region.isdigit() or len(region) not in REGION_LENGTHS)):
        raise RuleDataError(f"{origin}: region must be \"\" (national) or a division-code prefix of "
                            f"{', '.join(map(str, REGION_LENGTHS))} digits")
    effective_from = _date(data.get("effective_from"), f"{origin}: effective_from")
    effective_to = None if data.get("effective_to") is None else _date(data["effective_to"], f"{origin}: effective_to")
    if effective_to is not None and effective_to < effective_from:
        raise RuleDataError(f"{origin}: effective_to is before effective_from")
    parameters = {}
    for name, value in (data.get("parameters") or {}).items():
        parameters[name] = _decimal(value, f"{origin}: parameter {name}")
    raw_rules = data.get("rules") or []
    if not isinstance(raw_rules, list):
        raise RuleDataError(f"{origin}: rules must be a list")
    rules = tuple(_rule(raw, f"{origin}: rules[{i}]") for i, raw in enumerate(raw_rules))
    ids = [rule.id for rule in rules]
    if len(ids) != len(set(ids)):
        raise RuleDataError(f"{origin}: rule ids repeat: {sorted({i for i in ids if ids.count(i) > 1})}")
    return ScreeningRuleSet(version, region, effective_from, effective_to, rules, parameters)


def _rule(raw: Any, where: str) -> ScreeningRule:
    if not isinstance(raw, Mapping):
        raise RuleDataError(f"{where}: a rule is a JSON object")
    _no_unknown_keys(raw, _RULE_KEYS, where)
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not rule_id:
        raise RuleDataError(f"{where}: id must be non-empty text")
    where = f"{where} ({rule_id})"
    kinds = raw.get("kinds")
    if not isinstance(kinds, list) or not kinds or any(kind not in SIGNAL_KINDS for kind in kinds):
        raise RuleDataError(f"{where}: kinds must list known signal kinds ({', '.join(SIGNAL_KINDS)})")
    test = raw.get("test")
    if test not in RULE_TESTS:
        raise RuleDataError(f"{where}: test must be one of {', '.join(sorted(RULE_TESTS))}")
    severity = raw.get("severity")
    if severity not in SEVERITY_RANK:
        raise RuleDataError(f"{where}: severity must be low, medium or high")
    statuses = raw.get("statuses")
    if statuses is not None:
        if not isinstance(statuses, list) or not statuses or not set(statuses) <= HOUSEHOLD_STATUSES:
            raise RuleDataError(f"{where}: statuses must list household statuses ({', '.join(sorted(HOUSEHOLD_STATUSES))})")
        statuses = frozenset(statuses)
    amount_field, baseline, threshold = raw.get("field"), raw.get("baseline_field"), None
    if test == "present":
        if amount_field is not None or baseline is not None or raw.get("threshold") is not None:
            raise RuleDataError(f"{where}: a `present` rule has no field, baseline_field or threshold")
    else:
        for name, needed in (("field", True), ("baseline_field", test == "drop_above")):
            value = raw.get(name)
            if needed != (value is not None):
                raise RuleDataError(f"{where}: {name} is {'required' if needed else 'only for drop_above'}")
            if value is not None and any(value not in SIGNAL_KINDS[kind].amount_fields for kind in kinds):
                raise RuleDataError(f"{where}: {name} {value!r} is not an amount of every kind in {kinds}")
        threshold = _threshold(raw.get("threshold"), where)
    for language in ("explanation_en", "explanation_zh"):
        template = raw.get(language)
        if not isinstance(template, str) or not template:
            raise RuleDataError(f"{where}: {language} must be non-empty text")
        try:
            template.format_map(dict.fromkeys(_TEMPLATE_KEYS, ""))
        except (KeyError, ValueError, IndexError) as error:
            raise RuleDataError(f"{where}: {language} uses an unknown placeholder ({error}); "
                                f"known: {', '.join(_TEMPLATE_KEYS)}") from None
    return ScreeningRule(rule_id, tuple(kinds), test, severity, raw["explanation_en"], raw["explanation_zh"],
                         amount_field, baseline, threshold, statuses)


def _threshold(raw: Any, where: str) -> Threshold:
    if raw is None:
        raise RuleDataError(f"{where}: threshold is required")
    if isinstance(raw, Mapping):
        _no_unknown_keys(raw, frozenset({"parameter", "times"}), f"{where}: threshold")
        parameter = raw.get("parameter")
        if not isinstance(parameter, str) or not parameter:
            raise RuleDataError(f"{where}: threshold.parameter must name a parameter")
        return Threshold(parameter=parameter, times=_decimal(raw.get("times", "1"), f"{where}: threshold.times"))
    return Threshold(value=_decimal(raw, f"{where}: threshold"))


def _no_unknown_keys(data: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise RuleDataError(f"{where}: unknown keys {sorted(unknown)}")


def _decimal(value: Any, where: str) -> Decimal:
    # Written as text in the data so that 0.1 means exactly 0.1; bare JSON integers are accepted too, and Decimal
    # (a number of a projected policy document, e.g. a standard, is read exactly as written).
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise RuleDataError(f"{where}: write numbers as text (\"0.5\") or integers")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise RuleDataError(f"{where}: {value!r} is not a number") from None
    if not number.is_finite() or number < 0:
        raise RuleDataError(f"{where}: must be a finite number, not negative")
    return number


def _date(value: Any, where: str) -> date:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise RuleDataError(f"{where}: must be a date written YYYY-MM-DD") from None
