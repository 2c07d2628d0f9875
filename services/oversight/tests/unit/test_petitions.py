"""Routing, steps, the filing checks beyond the schema, and masking of the complainant's contact."""
import pytest

from oversight.domain import petitions as p
from oversight.api.limits import RateLimiter

VILLAGE = "530102001001"


@pytest.mark.parametrize("category, code, level, area", [
    ("wrongly_enrolled", VILLAGE, "township", "530102001"),
    ("wrongly_missed", VILLAGE, "township", "530102001"),
    ("wrongly_enrolled", "530102", "county", "530102"),
    ("staff_conduct", VILLAGE, "county", "530102"),
    ("service_provider", "530102001", "county", "530102"),
    ("decision", VILLAGE, "county", "530102"),
])
def test_household_matters_go_to_the_township_the_rest_to_the_county(category, code, level, area):
    assert p.route(category, code) == p.Routing(level, area)


def test_steps_follow_the_status():
    p.check_step("filed", "accept")
    p.check_step("accepted", "extend")
    with pytest.raises(p.IllegalStep) as illegal:
        p.check_step("filed", "reply")
    assert illegal.value.allowed == ("accept", "decline") and "受理" in illegal.value.zh
    with pytest.raises(p.IllegalStep):
        p.check_step("replied", "extend")


def test_a_missed_household_needs_a_village_code():
    problems = p.filing_problems("wrongly_missed", "530102001", None, None, None)
    assert [(x.field, x.rule) for x in problems] == [("division_code", "village_code_required")]
    assert problems[0].message_zh
    assert p.filing_problems("wrongly_missed", VILLAGE, None, None, None) == []


def test_a_complaint_about_a_person_names_it_and_carries_no_household():
    problems = p.filing_problems("staff_conduct", VILLAGE, "h-1", None, None)
    assert {(x.field, x.rule) for x in problems} == {("subject_name", "subject_required"),
                                                     ("household_id", "household_categories_only")}


def test_contact_is_masked():
    assert p.masked_contact({"name": "张三丰", "phone": "13812345678", "address": "某村3组"}) == {
        "name": "张**", "phone": "138****5678", "address": "***"}
    assert p.masked_contact(None) is None


def test_the_rate_limit_is_per_address_and_slides():
    now = [0.0]
    limiter = RateLimiter(2, 60, now=lambda: now[0])
    assert limiter.allow("a") is None and limiter.allow("a") is None
    assert limiter.allow("a") == pytest.approx(60)
    assert limiter.allow("b") is None
    now[0] = 60.5
    assert limiter.allow("a") is None
