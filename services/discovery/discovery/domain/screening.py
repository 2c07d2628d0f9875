"""Screening of partner signals into risk clues, by rules that are data: versioned, effective-dated, per region."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Literal, Mapping, Sequence

from discovery.domain.signals import HOUSEHOLD_STATUSES, SIGNAL_KINDS, SignalRecord

Severity = Literal["low", "medium", "high"]
SEVERITY_RANK: Mapping[str, int] = {"low": 1, "medium": 2, "high": 3}
RuleTest = Literal["present", "above", "at_most", "drop_above"]
RULE_TESTS: frozenset[str] = frozenset({"present", "above", "at_most", "drop_above"})
RULES_DIRECTORY = Path(__file__).resolve().parent.parent / "screening_rules"
REGION_LENGTHS = (2, 4, 6, 9, 12)  # province, prefecture, county, township, village

_RULE_KEYS = frozenset({"id", "kinds", "test", "field", "baseline_field", "threshold", "statuses", "severity",
                        "explanation_en", "explanation_zh", "note"})
_SET_KEYS = frozenset({"version", "region", "effective_from", "effective_to", "parameters", "rules", "disabled", "notes"})
_PRESENT, _ABOVE, _AT_MOST, _DROP_ABOVE = range(4)
_TEST_CODES = {"present": _PRESENT, "above": _ABOVE, "at_most": _AT_MOST, "drop_above": _DROP_ABOVE}
_COMPARISON = {_PRESENT: "present", _ABOVE: ">", _AT_MOST: "<=", _DROP_ABOVE: ">"}
_BASIS_POINT, _HUNDREDTH = Decimal("0.0001"), Decimal("0.01")
# Every placeholder an explanation template may use; templates are checked against these when the data is loaded.
_TEMPLATE_KEYS = ("value", "threshold", "base", "times_pct", "value_pct", "threshold_pct", "previous", "current",
                  "status", "kind", "kind_zh")


class RuleDataError(ValueError):
    """The screening rule data is wrong: raised when it is loaded, or when a combination of sets is first compiled."""


class NoRulesInForce(LookupError):
    """No national screening rule set is in force on the date asked for."""


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
    """The rules of one region ("" = national) in force from `effective_from` to `effective_to`, both inclusive.

    A regional set lists only what differs from the national one: parameters, rules replaced or added by id,
    and rule ids `disabled`. `select_rules` merges them into the set that screens a record.
    """

    version: str
    region: str
    effective_from: date
    effective_to: date | None
    rules: tuple[ScreeningRule, ...]
    parameters: Mapping[str, Decimal] = field(default_factory=dict)
    disabled: frozenset[str] = frozenset()

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
                                    "which no national or regional file of this date defines")
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

    `rules` is a set returned by `select_rules` (national parameters merged in); the others that matched are named
    in the clue's evidence under `also_matched`.
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

def select_rules(rule_sets: Iterable[ScreeningRuleSet], division_code: str, on: date) -> ScreeningRuleSet:
    """The national set in force on `on`, overlaid by each regional set in force whose region prefixes the code.

    Shorter prefixes are applied first, so the longest prefix (e.g. a county over its province) has the last word.
    """
    return _merge(_components(rule_sets, division_code, on))


def _components(rule_sets: Iterable[ScreeningRuleSet], division_code: str, on: date) -> tuple[ScreeningRuleSet, ...]:
    chosen: dict[str, ScreeningRuleSet] = {}
    for rule_set in rule_sets:
        if division_code.startswith(rule_set.region) and rule_set.in_force_on(on):
            if rule_set.region in chosen:
                raise RuleDataError(f"two rule sets of region {rule_set.region or 'national'!r} are in force on {on}: "
                                    f"{chosen[rule_set.region].version} and {rule_set.version}")
            chosen[rule_set.region] = rule_set
    if "" not in chosen:
        raise NoRulesInForce(f"no national screening rule set is in force on {on}")
    return tuple(chosen[region] for region in sorted(chosen, key=len))


def _merge(components: Sequence[ScreeningRuleSet]) -> ScreeningRuleSet:
    if len(components) == 1:
        return components[0]
    parameters: dict[str, Decimal] = {}
    rules: dict[str, ScreeningRule] = {}
    for part in components:
        parameters.update(part.parameters)
        for rule_id in part.disabled:
            rules.pop(rule_id, None)
        for rule in part.rules:
            rules[rule.id] = rule  # a dict keeps the national order for replaced rules and appends new ones
    ends = [part.effective_to for part in components if part.effective_to is not None]
    return ScreeningRuleSet(
        version="+".join(part.version for part in components),
        region=components[-1].region,
        effective_from=max(part.effective_from for part in components),
        effective_to=min(ends) if ends else None,
        rules=tuple(rules.values()),
        parameters=parameters,
    )


class Screener:
    """Screens records against a fixed collection of rule sets, merging and indexing each combination only once.

    Built once per process (or per file); `screen(record)` then costs a prefix test, a dict lookup and the rules
    of the record's kind.
    """

    def __init__(self, rule_sets: Iterable[ScreeningRuleSet], max_cached: int = 100_000):
        self.rule_sets = tuple(rule_sets)
        self._regions = frozenset(s.region for s in self.rule_sets if s.region)
        self._lengths = tuple(sorted({len(region) for region in self._regions}))
        self._longest = max(self._lengths, default=0)
        self._regions_of: dict[str, tuple[str, ...]] = {}
        self._by_regions_and_date: dict[tuple[tuple[str, ...], date], ScreeningRuleSet] = {}
        self._merged: dict[tuple[int, ...], ScreeningRuleSet] = {}
        self._max_cached = max_cached

    @classmethod
    def from_directory(cls, directory: str | Path | None = None) -> Screener:
        return cls(load_screening_rules(directory))

    def rules_for(self, division_code: str, on: date) -> ScreeningRuleSet:
        prefix = division_code[:self._longest]
        regions = self._regions_of.get(prefix)
        if regions is None:
            if len(self._regions_of) >= self._max_cached:
                self._regions_of.clear()  # a bound, not an eviction policy: regional prefixes are few
            regions = self._regions_of[prefix] = tuple(
                prefix[:n] for n in self._lengths if n <= len(prefix) and prefix[:n] in self._regions)
        found = self._by_regions_and_date.get((regions, on))
        if found is None:
            if len(self._by_regions_and_date) >= self._max_cached:
                self._by_regions_and_date.clear()  # dates in a file are few
            candidates = [s for s in self.rule_sets if s.region == "" or s.region in regions]
            components = _components(candidates, division_code, on)
            identity = tuple(id(part) for part in components)
            found = self._merged.get(identity)
            if found is None:
                found = self._merged[identity] = _merge(components)
                found.by_kind  # compile now, so a data error surfaces at the first record rather than deep in a stream
            self._by_regions_and_date[(regions, on)] = found
        return found

    def screen(self, record: SignalRecord) -> RiskClue | None:
        return screen(record, self.rules_for(record.division_code, record.occurred_on))


# --- rule data ------------------------------------------------------------------------------------------------------

def load_screening_rules(directory: str | Path | None = None) -> list[ScreeningRuleSet]:
    """Every `*.json` rule set of `directory` (default: the package's screening_rules/), checked as a whole:
    no two sets of one region overlap in time, and every regional set merges cleanly with the national sets of its time.
    """
    folder = Path(directory) if directory is not None else RULES_DIRECTORY
    rule_sets = []
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as error:
            raise RuleDataError(f"{path.name}: not valid JSON ({error})") from None
        rule_sets.append(rule_set_from_dict(data, origin=path.name))
    check_rule_sets(rule_sets)
    return sorted(rule_sets, key=lambda s: (len(s.region), s.region, s.effective_from))


def check_rule_sets(rule_sets: Sequence[ScreeningRuleSet]) -> None:
    """Raises RuleDataError if periods of one region overlap or a regional set cannot be merged with a national one."""
    by_region: dict[str, list[ScreeningRuleSet]] = {}
    for rule_set in rule_sets:
        by_region.setdefault(rule_set.region, []).append(rule_set)
    for region, sets in by_region.items():
        sets.sort(key=lambda s: s.effective_from)
        for earlier, later in zip(sets, sets[1:]):
            if earlier.effective_to is None or earlier.effective_to >= later.effective_from:
                raise RuleDataError(f"rule sets {earlier.version} and {later.version} of region "
                                    f"{region or 'national'!r} overlap in time")
    for national in by_region.get("", []):
        national.by_kind  # every parameter a national rule uses must be national
        for region, sets in by_region.items():
            for regional in sets:
                if region and _overlap(national, regional):
                    _merge((national, regional)).by_kind


def _overlap(a: ScreeningRuleSet, b: ScreeningRuleSet) -> bool:
    return ((a.effective_to is None or b.effective_from <= a.effective_to)
            and (b.effective_to is None or a.effective_from <= b.effective_to))


def rule_set_from_dict(data: Mapping[str, Any], origin: str = "rule set") -> ScreeningRuleSet:
    """Builds a rule set from its JSON form, or raises RuleDataError naming the file and the entry at fault."""
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
    disabled = data.get("disabled") or []
    if not isinstance(disabled, list) or not all(isinstance(rule_id, str) for rule_id in disabled):
        raise RuleDataError(f"{origin}: disabled must list rule ids")
    if not region and disabled:
        raise RuleDataError(f"{origin}: only a regional set can disable national rules")
    return ScreeningRuleSet(version, region, effective_from, effective_to, rules, parameters, frozenset(disabled))


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
    # Written as text in the data so that 0.1 means exactly 0.1; bare JSON integers are accepted too.
    if isinstance(value, bool) or not isinstance(value, (str, int)):
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
