"""Every numeric input of identification's API is bounded in the schema (so the OpenAPI says it) and refuses inf/nan."""
from decimal import Decimal

import pytest
from pydantic import ValidationError

from identification.api.schemas import DecisionCreate, FactsIn, MemberFacts, NoticeCreate

BASE = {"members": [{"age": 40, "labour_capacity": "full"}], "monthly_income_yuan": "600", "residence_months": 12}
MONEY = ("monthly_income_yuan", "savings_yuan", "vehicles_value_yuan", "medical_expense_yuan_year",
         "education_expense_yuan_year", "care_expense_yuan_year")


@pytest.mark.parametrize("field", MONEY)
@pytest.mark.parametrize("value,ok", [("0", True), ("10000000", True), ("10000000.01", False), ("-0.01", False),
                                      (1e308, False), ("NaN", False), ("Infinity", False), ("-Infinity", False)])
def test_money_is_0_to_10_million_yuan_and_finite(field, value, ok):
    body = {**BASE, field: value}
    if ok:
        assert FactsIn(**body).model_dump()[field] == Decimal(value)
    else:
        with pytest.raises(ValidationError) as refused:
            FactsIn(**body)
        assert refused.value.errors()[0]["loc"] == (field,)


@pytest.mark.parametrize("age,ok", [(0, True), (130, True), (131, False), (-1, False)])
def test_ages_are_0_to_130(age, ok):
    if ok:
        assert MemberFacts(age=age, labour_capacity="none").age == age
    else:
        with pytest.raises(ValidationError):
            MemberFacts(age=age, labour_capacity="none")


def test_members_and_programme_lists_have_maxima():
    with pytest.raises(ValidationError):
        FactsIn(**{**BASE, "members": BASE["members"] * 51})
    assert len(FactsIn(**{**BASE, "members": BASE["members"] * 50}).members) == 50
    for model in (NoticeCreate, DecisionCreate):
        extra = {"outcome": "approve"} if model is DecisionCreate else {}
        with pytest.raises(ValidationError):
            model(programmes=["pension"], **extra)
        with pytest.raises(ValidationError):
            model(programmes=[], **extra)
        assert model(programmes=["dibao", "temporary"], **extra).programmes == ["dibao", "temporary"]


def test_the_openapi_states_the_bounds():
    from identification.main import create_app
    spec = create_app(start_workers=False).openapi()
    listing = {p["name"]: p["schema"] for p in spec["paths"]["/api/v1/cases"]["get"]["parameters"]}
    assert listing["offset"]["maximum"] == 1_000_000 and listing["limit"] == {"type": "integer", "maximum": 200,
                                                                               "minimum": 1, "default": 50, "title": "Limit"}
    facts = spec["components"]["schemas"]["FactsIn"]["properties"]
    for field in MONEY:
        assert any(alt.get("maximum") == 10_000_000 for alt in facts[field].get("anyOf", [facts[field]])), field
    emits = {(path, method): op.get("x-emits") for path, ops in spec["paths"].items() for method, op in ops.items()
             if method != "get" and path.startswith("/api/")}
    reads_only = {k for k, v in emits.items() if not v and spec["paths"][k[0]][k[1]].get("x-no-state-change")}
    # the POSTs that write nothing say so: the policy preview and the citizen's self-check
    assert reads_only == {("/api/v1/policy/preview", "post"), ("/api/v1/public/eligibility-check", "post")}
    assert all(v for k, v in emits.items() if k not in reads_only), [k for k, v in emits.items() if not v]
