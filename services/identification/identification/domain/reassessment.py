"""Re-assessment when the rules change: what a household's latest assessment facts would qualify for under another
rule set, compared with the rule set its last assessment used. Pure functions; nothing is written here.

``compare(facts, previous, candidate)`` runs ``eligibility.decide`` on the same facts under both rule sets and says,
per programme in PROGRAMMES order, which the household newly qualifies for, which it no longer qualifies for, and
which are unchanged (eligible under both, or under neither), with a bilingual explanation that cites both rule
versions and, for every programme that changed, the criteria whose outcome changed (in the candidate's numbers).

With ``held`` (the programmes the household is enrolled in; ``()`` for a household that was refused) the change is
what it means for that household: a programme it already holds is never "newly eligible", and only a programme it
holds can become "no longer eligible" (losing eligibility for a programme it never had changes nothing for it).

``candidate_rule_set`` builds the rule set of a policy draft (a complete document not yet published) and proves it
can decide, or raises RuleDataError naming the problem.

``facts_from_record`` rebuilds the facts from an assessment as stored (the field assessment's JSON, see
api.schemas.FactsIn), so the command and the preview re-run exactly what the village recorded.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from identification.domain.assessment import Guarantees, HouseholdFacts, Member
from identification.domain.eligibility import PROGRAMME_NAMES, Decision, ProgrammeResult, decide
from identification.domain.rules import PROGRAMMES, SECTION, RuleDataError, RuleSet
from shared.policy_client import PolicyEntry, project

_MONEY = ("monthly_income_yuan", "savings_yuan", "vehicles_value_yuan", "medical_expense_yuan_year",
          "education_expense_yuan_year", "care_expense_yuan_year")


@dataclass(frozen=True)
class OutcomeChange:
    """How a household's eligibility differs between two rule sets (programme codes, in PROGRAMMES order)."""

    previous_rule_version: str
    rule_version: str
    newly_eligible: tuple[str, ...]
    no_longer_eligible: tuple[str, ...]
    unchanged: tuple[str, ...]          # the same outcome under both: eligible under both, or under neither
    still_eligible: tuple[str, ...]     # eligible under both (a part of unchanged)
    reasons_en: str
    reasons_zh: str

    @property
    def changed(self) -> bool:
        return bool(self.newly_eligible or self.no_longer_eligible)

    @property
    def reasons(self) -> dict[str, str]:
        return {"en": self.reasons_en, "zh": self.reasons_zh}


def compare(facts: HouseholdFacts, previous: RuleSet, candidate: RuleSet, *, emergency: bool = False,
            held: Collection[str] | None = None) -> OutcomeChange:
    """The outcome change of ``facts`` from ``previous`` (the rules the last assessment used) to ``candidate``.

    ``emergency`` is the assessment's own flag, applied under both rule sets alike. ``held``: see the module doc.
    """
    before, after = decide(facts, previous, emergency=emergency), decide(facts, candidate, emergency=emergency)
    if held is not None:
        unknown = sorted(set(held) - set(PROGRAMMES))
        if unknown:
            raise ValueError(f"held names {', '.join(unknown)}, which are not programmes ({', '.join(PROGRAMMES)})")
    was, now = set(before.eligible), set(after.eligible)
    newly = tuple(p for p in PROGRAMMES if p in now and p not in was and (held is None or p not in held))
    lost = tuple(p for p in PROGRAMMES if p in was and p not in now and (held is None or p in held))
    unchanged = tuple(p for p in PROGRAMMES if p not in newly and p not in lost)
    still = tuple(p for p in PROGRAMMES if p in was and p in now)
    en, zh = _explain(before, after, newly, lost)
    return OutcomeChange(previous.version, candidate.version, newly, lost, unchanged, still, en, zh)


def facts_from_record(division_code: str, stored: dict) -> HouseholdFacts:
    """The HouseholdFacts of a stored assessment (its ``facts`` JSON: members, guarantees, money as text or numbers).

    Raises ValueError when the record is not a complete set of facts (the facts were never recorded).
    """
    if not isinstance(stored, dict) or not stored.get("members"):
        raise ValueError("the assessment holds no household facts (no members)")
    data = dict(stored)
    members = tuple(Member(**m) for m in data.pop("members"))
    guarantees = Guarantees(**(data.pop("guarantees", None) or {}))
    for name in _MONEY:
        if name in data and data[name] is not None:
            data[name] = Decimal(str(data[name]))
    known = set(HouseholdFacts.__dataclass_fields__) - {"division_code", "members", "guarantees"}
    extra = sorted(set(data) - known)
    if extra:
        raise ValueError(f"the assessment's facts have fields the domain does not know: {', '.join(extra)}")
    if "monthly_income_yuan" not in data:
        raise ValueError("the assessment's facts have no monthly_income_yuan")
    return HouseholdFacts(division_code=division_code, members=members, guarantees=guarantees, **data)


def _changed_reasons(before: ProgrammeResult, after: ProgrammeResult, *, now_passing: bool) -> list:
    """The candidate's reasons whose outcome flipped (to passing when ``now_passing``, else to failing)."""
    was = {r.code: r.passed for r in before.reasons}
    return [r for r in after.reasons if r.passed is now_passing and was.get(r.code) is (not now_passing)]


def _explain(before: Decision, after: Decision, newly: tuple[str, ...], lost: tuple[str, ...]) -> tuple[str, str]:
    old, new = before.rule_version, after.rule_version
    if not newly and not lost:
        return (f"Under rule set {new} the household's outcome is the same as under {old}.",
                f"依据规则版本{new}，该户的认定结果与规则版本{old}相同。")
    en = [f"Under rule set {new} (previously {old})."]
    zh = [f"依据规则版本{new}（此前为{old}）："]
    for programmes, gained in ((newly, True), (lost, False)):
        if not programmes:
            continue
        names_en = "; ".join(PROGRAMME_NAMES[p][0] for p in programmes)
        names_zh = "、".join(PROGRAMME_NAMES[p][1] for p in programmes)
        en.append(f"The household {'newly qualifies' if gained else 'no longer qualifies'} for {names_en}.")
        zh.append(f"该户{'新符合' if gained else '不再符合'}{names_zh}的条件。")
        for p in programmes:
            for r in _changed_reasons(before.result(p), after.result(p), now_passing=gained):
                en.append(r.en)
                zh.append(r.zh)
    return " ".join(en), "".join(zh)


# A household every programme's criteria can be evaluated on: a candidate that cannot decide it is not usable.
_PROBE = HouseholdFacts("000000000000", (Member(70, "none", disability_grade=1, chronic_illness=True),
                                         Member(35, "partial", in_higher_education=True),
                                         Member(9, "none", in_compulsory_education=True)),
                        Decimal(900), medical_expense_yuan_year=Decimal(5000), residence_months=12,
                        formerly_poor=True, income_unstable=True, sudden_hardship=True)


def candidate_rule_set(rule_version: str, region: str, effective_from: date, document: dict) -> RuleSet:
    """The identification rule set of a draft policy document, checked complete and able to decide a household."""
    label = f"candidate {rule_version}"
    try:
        params = project(document, SECTION)
    except KeyError as exc:
        raise RuleDataError(f"{label}: the document has no section {exc.args[0]!r}") from None
    except (TypeError, AttributeError, ValueError) as exc:
        raise RuleDataError(f"{label}: the document is not a policy document ({exc})") from None
    try:
        rule_set = RuleSet.from_policy(PolicyEntry(rule_version, region, 0, effective_from, None, document), params)
        decide(_PROBE, rule_set)
        decide(_PROBE, rule_set, emergency=True)
    except RuleDataError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation, ArithmeticError) as exc:
        raise RuleDataError(f"{label}: a parameter has the wrong kind of value ({exc})") from None
    return rule_set
