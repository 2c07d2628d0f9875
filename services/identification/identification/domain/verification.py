"""Economic-status checks (经济状况核对): which departments are asked for which facts, when a request is due, what the
answers suggest for the assessment, and where a partner's report and the household's declaration disagree.

Plain functions over plain data; the parameters are the ``verification`` part of identification's section of the
published policy (``shared/policy_bundle/national.json``), and every result carries their version.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable, Iterable, Mapping

FACT_KINDS = ("income_records", "vehicles", "property", "business_registration", "social_insurance_payments")
CENT = Decimal("0.01")


class VerificationRuleError(ValueError):
    pass


@dataclass(frozen=True)
class VerificationRules:
    version: str
    fact_departments: Mapping[str, tuple[str, ...]]
    due_working_days: int
    income_tolerance_share: Decimal
    income_tolerance_yuan: Decimal

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> "VerificationRules":
        try:
            departments = {k: tuple(v) for k, v in params["fact_departments"].items()}
            unknown = set(departments) - set(FACT_KINDS)
            if unknown:
                raise VerificationRuleError(f"verification.fact_departments: unknown fact kinds {sorted(unknown)}")
            rules = cls(str(params["version"]), departments, int(params["due_working_days"]),
                        Decimal(str(params["income_tolerance_share"])), Decimal(str(params["income_tolerance_yuan"])))
        except (KeyError, TypeError) as exc:
            raise VerificationRuleError(f"verification rules incomplete: {exc}") from None
        if rules.due_working_days < 1 or rules.income_tolerance_share < 0 or rules.income_tolerance_yuan < 0:
            raise VerificationRuleError("verification: due_working_days >= 1 and tolerances >= 0 required")
        return rules

    def departments(self, kinds: Iterable[str] = FACT_KINDS) -> dict[str, list[str]]:
        """{department: [fact kinds it is asked for]}, in a stable order."""
        asked: dict[str, list[str]] = {}
        for kind in kinds:
            for department in self.fact_departments.get(kind, ()):
                asked.setdefault(department, []).append(kind)
        return dict(sorted(asked.items()))


def due_date(start: date, rules: VerificationRules, add_working_days: Callable[[date, int], date]) -> date:
    """The last day a department may answer: ``due_working_days`` working days after the request."""
    return add_working_days(start, rules.due_working_days)


def is_overdue(due: date, today: date) -> bool:
    """A department that has not answered is overdue from the day after its due date."""
    return today > due


def months_covered(start: date, end: date) -> int:
    if end < start:
        raise ValueError("period_end is before period_start")
    return (end.year - start.year) * 12 + end.month - start.month + 1


def monthly_income(records: Iterable[Mapping[str, Any]]) -> Decimal:
    """The monthly equivalent of income records (each an amount over a period of whole calendar months)."""
    total = Decimal(0)
    for r in records:
        start, end = r["period_start"], r["period_end"]
        start = date.fromisoformat(start) if isinstance(start, str) else start
        end = date.fromisoformat(end) if isinstance(end, str) else end
        total += Decimal(str(r["amount_yuan"])) / months_covered(start, end)
    return total.quantize(CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class Discrepancy:
    fact: str
    declared: Any
    reported: Any
    department: str
    tolerance: Any
    rule_version: str

    def as_dict(self) -> dict:
        def plain(v):
            return str(v) if isinstance(v, Decimal) else v
        return {"fact": self.fact, "declared": plain(self.declared), "reported": plain(self.reported),
                "department": self.department, "tolerance": plain(self.tolerance), "rule_version": self.rule_version}


def income_tolerance(declared: Decimal, rules: VerificationRules) -> Decimal:
    """How far a reported income may differ from the declared one: the larger of a share and a fixed amount."""
    return max((declared * rules.income_tolerance_share).quantize(CENT, ROUND_HALF_UP), rules.income_tolerance_yuan)


def income_discrepancy(declared: Decimal, reported: Decimal, department: str,
                       rules: VerificationRules) -> Discrepancy | None:
    """Flags a reported monthly income that differs from the declared one by more than the tolerance (equal: fine)."""
    tolerance = income_tolerance(declared, rules)
    if abs(reported - declared) > tolerance:
        return Discrepancy("monthly_income_yuan", declared, reported, department, tolerance, rules.version)
    return None


def discrepancies(declared: Mapping[str, Any], answer: Mapping[str, list[dict]], department: str,
                  rules: VerificationRules) -> list[Discrepancy]:
    """Every difference between the household's declaration and one department's answer (facts per member).

    ``declared``: monthly_income_yuan (household), and, when the field assessment recorded them, vehicles_value_yuan
    and owns_business. An answer without income records says nothing about income (no flag)."""
    found: list[Discrepancy] = []
    members = list(answer.values())
    incomes = [r for m in members for r in m.get("income_records", [])]
    if incomes and declared.get("monthly_income_yuan") is not None:
        d = income_discrepancy(Decimal(str(declared["monthly_income_yuan"])), monthly_income(incomes), department, rules)
        if d:
            found.append(d)
    vehicles = [v for m in members for v in m.get("vehicles", [])]
    if vehicles and declared.get("vehicles_value_yuan") is not None:
        reported = sum((Decimal(str(v["value_yuan"])) for v in vehicles), Decimal(0))
        if reported > Decimal(str(declared["vehicles_value_yuan"])):
            found.append(Discrepancy("vehicles_value_yuan", Decimal(str(declared["vehicles_value_yuan"])), reported,
                                     department, Decimal(0), rules.version))
    businesses = [b for m in members for b in m.get("business_registration", []) if b.get("active", True)]
    if businesses and declared.get("owns_business") is False:
        found.append(Discrepancy("owns_business", False, True, department, None, rules.version))
    return found


def prefill(answers: Iterable[tuple[str, date, Mapping[str, list[dict]]]]) -> dict[str, dict]:
    """Suggested assessment facts from the answers (department, answered on, facts per member), each with its source;
    the officer confirms them on the visit. Facts no department reported are left out."""
    suggested: dict[str, dict] = {}

    def source(department: str, on: date) -> dict:
        return {"kind": "reported", "department": department, "date": on.isoformat()}

    for department, on, facts in answers:
        members = list(facts.values())
        incomes = [r for m in members for r in m.get("income_records", [])]
        if incomes:
            suggested["monthly_income_yuan"] = {"value": str(monthly_income(incomes)), "source": source(department, on)}
        vehicles = [v for m in members for v in m.get("vehicles", [])]
        if vehicles:
            total = sum((Decimal(str(v["value_yuan"])) for v in vehicles), Decimal(0))
            suggested["vehicles_value_yuan"] = {"value": str(total), "source": source(department, on)}
        if any("business_registration" in m for m in members):
            owns = any(b.get("active", True) for m in members for b in m.get("business_registration", []))
            suggested["owns_business"] = {"value": owns, "source": source(department, on)}
        if any("property" in m for m in members):
            units = sum(1 for m in members for p in m.get("property", []) if p.get("kind", "dwelling") == "dwelling")
            commercial = any(p.get("kind") == "commercial" for m in members for p in m.get("property", []))
            suggested["extra_housing_units"] = {"value": max(units - 1, 0), "source": source(department, on)}
            suggested["owns_commercial_property"] = {"value": commercial, "source": source(department, on)}
    return suggested
