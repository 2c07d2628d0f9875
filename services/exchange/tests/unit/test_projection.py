"""The projection, agreement by agreement: what goes out, what is left out, masking, areas, validity at its
boundaries, member filters and consent."""
from __future__ import annotations

import dataclasses
import json
from datetime import date

import pytest

from exchange.bootstrap import AGREEMENTS_DIR
from exchange.domain.agreements import AgreementInvalid, load_agreements, parse
from exchange.domain.consent import NO_DECISIONS, ConsentDecision, ConsentState
from exchange.domain.projection import RULE_VERSION, Roster, SourceEvent, age_on, birth_date, mask, project

AGREEMENTS = {a.id: a for a in load_agreements(AGREEMENTS_DIR)}
MI, HR, EDU = AGREEMENTS["medical_insurance.enrolments"], AGREEMENTS["human_resources.employment"], AGREEMENTS["education.pupils"]
DAY = date(2026, 12, 15)
VILLAGE = "530102001001"
HH = "hh-1"


def _id(body17: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body17 + "10X98765432"[sum(int(c) * w for c, w in zip(body17, weights)) % 11]


ADULT = {"name": "张三", "id_number": _id("53010219850312003"), "relationship": "self", "labour_capacity": "full"}
SPOUSE = {"name": "李四", "id_number": _id("53010219870820004"), "relationship": "spouse", "labour_capacity": "none"}
PUPIL = {"name": "张小明", "id_number": _id("53010220140901005"), "relationship": "child"}
ELDER = {"name": "张老汉", "id_number": _id("53010219490101001"), "relationship": "parent"}
ROSTER = Roster((ADULT, SPOUSE, PUPIL, ELDER))


def enrolled(programmes=("dibao",), division=VILLAGE, **extra) -> SourceEvent:
    return SourceEvent("ev-1", "identification.household.enrolled", HH, {
        "case_id": "c-1", "household_id": HH, "file_number": "530102-2026-000001", "division_code": division,
        "programmes": list(programmes), "categories": {"x": "y"}, "rule_version": "CN-2026.1",
        "enrolled_at": "2026-12-15T08:00:00Z", "member_count": 4, "per_capita_monthly_income_yuan": 400.0,
        "scores": {"income": 80}, **extra})


def exited(programme="dibao") -> SourceEvent:
    return SourceEvent("ev-2", "gradual_exit.household.exited", HH, {
        "exit_id": "x-1", "household_id": HH, "programme": programme, "division_code": VILLAGE,
        "exited_at": "2027-06-30T08:00:00Z", "reasons": [{"code": "income", "en": "income above", "zh": "收入高"}],
        "remaining_programmes": ["medical"], "per_capita_monthly_income_yuan": 800.0,
        "members": [{"name": "张三", "id_number": ADULT["id_number"], "relationship": "self"}], "rule_version": "r"})


def withdrawn(purpose, on=date(2026, 12, 1), at="2026-12-01T00:00:00"):
    return ConsentState((ConsentDecision(purpose, "withdrawn", on, at),))


# -- medical insurance -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("programme", ["dibao", "tekun", "monitoring"])
def test_an_enrolment_reaches_medical_insurance_with_id_numbers_and_without_income(programme):
    [pe] = project(MI, enrolled([programme, "medical"]), ROSTER, NO_DECISIONS, DAY)
    assert pe.type == "partner.medical_insurance.enrolments.household_enrolled" and pe.subject == HH
    assert [m["id_number"] for m in pe.data["members"]] == [m["id_number"] for m in ROSTER.members]
    assert [m["name"] for m in pe.data["members"]] == ["张三", "李四", "张小明", "张老汉"]
    for left_out in ("per_capita_monthly_income_yuan", "scores", "categories", "case_id", "member_count"):
        assert left_out not in pe.data
    assert all(set(m) <= {"name", "id_number", "relationship"} for m in pe.data["members"])
    assert pe.data["agreement"] == {"id": MI.id, "version": 1, "purpose": "medical_insurance_premium_subsidy"}
    assert pe.data["rule_version"] == RULE_VERSION


@pytest.mark.parametrize("programmes", [("near_dibao",), ("temporary", "medical"), ("rigid_expense",)])
def test_other_programmes_do_not_reach_medical_insurance(programmes):
    assert project(MI, enrolled(programmes), ROSTER, NO_DECISIONS, DAY) == []


def test_an_exit_reaches_medical_insurance_without_income_or_reasons():
    [pe] = project(MI, exited("tekun"), ROSTER, NO_DECISIONS, DAY)
    assert pe.type == "partner.medical_insurance.enrolments.household_exited"
    assert pe.data["programme"] == "tekun" and pe.data["remaining_programmes"] == ["medical"]
    assert "reasons" not in pe.data and "per_capita_monthly_income_yuan" not in pe.data and "exit_id" not in pe.data
    assert pe.data["members"] == [{"name": "张三", "id_number": ADULT["id_number"], "relationship": "self"}]
    assert project(MI, exited("near_dibao"), ROSTER, NO_DECISIONS, DAY) == []


def test_an_enrolment_without_a_known_roster_goes_out_without_members():
    [pe] = project(MI, enrolled(), Roster(), NO_DECISIONS, DAY)
    assert pe.data["members"] == []


# -- employment --------------------------------------------------------------------------------------------------
def test_employment_gets_only_able_bodied_working_age_members_with_the_birth_year():
    [pe] = project(HR, enrolled(), ROSTER, NO_DECISIONS, DAY)
    assert pe.type == "partner.human_resources.employment.members_enrolled"
    assert pe.data["members"] == [{"name": "张三", "id_number": ADULT["id_number"], "birth_date": "1985",
                                   "labour_capacity": "full"}]  # the spouse has no labour capacity
    assert "programmes" not in pe.data and "file_number" not in pe.data


@pytest.mark.parametrize("born,included", [("20101215", True), ("20101216", False),  # 16 on the day / a day short
                                           ("19670101", True), ("19661215", False)])  # 59 / turned 60 that day
def test_employment_age_bounds(born, included):
    member = {"name": "王五", "id_number": _id(f"530102{born}003"), "relationship": "child", "labour_capacity": "full"}
    out = project(HR, enrolled(), Roster((member,)), NO_DECISIONS, DAY)
    assert bool(out) == included


@pytest.mark.parametrize("capacity,included", [("full", True), ("partial", True), ("unknown", True), ("none", False)])
def test_employment_labour_capacity(capacity, included):
    member = {**ADULT, "labour_capacity": capacity}
    assert bool(project(HR, enrolled(), Roster((member,)), NO_DECISIONS, DAY)) == included


def test_a_household_with_nobody_entitled_sends_nothing_to_employment():
    assert project(HR, enrolled(), Roster((SPOUSE, ELDER, PUPIL)), NO_DECISIONS, DAY) == []


# -- education ---------------------------------------------------------------------------------------------------
def test_education_gets_the_pupils_with_the_township_only():
    [pe] = project(EDU, enrolled(), ROSTER, NO_DECISIONS, DAY)
    assert pe.type == "partner.education.pupils.pupils_enrolled"
    assert pe.data["members"] == [{"name": "张小明", "id_number": PUPIL["id_number"], "birth_date": "2014-09-01",
                                   "relationship": "child"}]
    assert pe.data["division_code"] == "530102001"  # masked: township_only
    assert project(EDU, enrolled(), Roster((ADULT, SPOUSE)), NO_DECISIONS, DAY) == []


@pytest.mark.parametrize("born,included", [("20231215", True), ("20231216", False), ("20031215", False),
                                           ("20031216", True)])
def test_education_age_bounds(born, included):  # 3 to 22 inclusive on the day
    member = {"name": "王小", "id_number": _id(f"530102{born}003"), "relationship": "child"}
    assert bool(project(EDU, enrolled(), Roster((member,)), NO_DECISIONS, DAY)) == included


# -- every agreement: validity, areas, consent, events it does not draw from -------------------------------------
@pytest.mark.parametrize("agreement", list(AGREEMENTS.values()), ids=list(AGREEMENTS))
def test_validity_dates_are_inclusive(agreement):
    start = agreement.valid_from
    assert project(agreement, enrolled(), ROSTER, NO_DECISIONS, start)
    assert project(agreement, enrolled(), ROSTER, NO_DECISIONS, date.fromordinal(start.toordinal() - 1)) == []
    if agreement.valid_to is not None:
        assert project(agreement, enrolled(), ROSTER, NO_DECISIONS, agreement.valid_to)
        assert project(agreement, enrolled(), ROSTER, NO_DECISIONS,
                       date.fromordinal(agreement.valid_to.toordinal() + 1)) == []


@pytest.mark.parametrize("agreement", list(AGREEMENTS.values()), ids=list(AGREEMENTS))
def test_areas_are_division_code_prefixes(agreement):
    narrowed = dataclasses.replace(agreement, areas=("530102",))
    assert project(narrowed, enrolled(division="530102001001"), ROSTER, NO_DECISIONS, DAY)
    assert project(narrowed, enrolled(division="530103001001"), ROSTER, NO_DECISIONS, DAY) == []
    assert project(dataclasses.replace(agreement, areas=("530102", "530103")),
                   enrolled(division="530103001001"), ROSTER, NO_DECISIONS, DAY)


@pytest.mark.parametrize("agreement", list(AGREEMENTS.values()), ids=list(AGREEMENTS))
def test_a_withdrawal_for_the_purpose_stops_the_export(agreement):
    purpose = agreement.consent_purpose
    assert project(agreement, enrolled(), ROSTER, withdrawn(purpose), DAY) == []
    assert project(agreement, enrolled(), ROSTER, withdrawn("some_other_purpose"), DAY)
    # a withdrawal that takes effect after the day does not count yet; a later grant restores the export
    assert project(agreement, enrolled(), ROSTER, withdrawn(purpose, on=date(2026, 12, 16)), DAY)
    regranted = ConsentState((ConsentDecision(purpose, "withdrawn", date(2026, 12, 1), "2026-12-01T00:00:00"),
                              ConsentDecision(purpose, "granted", date(2026, 12, 10), "2026-12-10T00:00:00")))
    assert project(agreement, enrolled(), ROSTER, regranted, DAY)


@pytest.mark.parametrize("agreement", list(AGREEMENTS.values()), ids=list(AGREEMENTS))
def test_events_the_agreement_does_not_draw_from_yield_nothing(agreement):
    other = SourceEvent("ev-9", "discovery.application.submitted", HH, {
        "household_id": HH, "division_code": VILLAGE, "members": [ADULT], "household_monthly_income_yuan": 1.0,
        "hardship_description": "住院", "programmes": ["dibao"]})
    assert project(agreement, other, ROSTER, NO_DECISIONS, DAY) == []


@pytest.mark.parametrize("agreement", list(AGREEMENTS.values()), ids=list(AGREEMENTS))
def test_nothing_outside_the_allow_list_goes_out(agreement):
    allowed_top = {f for f in agreement.fields if "[]" not in f} | {"members", "household_id", "agreement",
                                                                   "source_event_type", "rule_version"}
    allowed_member = {f.split("[].")[1] for f in agreement.fields if f.startswith("members[].")}
    for pe in project(agreement, enrolled(), ROSTER, NO_DECISIONS, DAY):
        assert set(pe.data) <= allowed_top
        assert all(set(m) <= allowed_member for m in pe.data.get("members", []))
        text = json.dumps(pe.data, ensure_ascii=False)
        assert "400.0" not in text and "income" not in text.replace("per_capita", "")


# -- masking rules and helpers -----------------------------------------------------------------------------------
def test_masking_rules():
    assert mask("surname_only", "张小明") == "张**"
    assert mask("id_number_partial", "11010519491231002X") == "110105********002X"
    assert mask("year_only", "2014-09-01") == "2014"
    assert mask("county_only", "530102001001") == "530102"
    assert mask("township_only", "530102001001") == "530102001"
    assert len(mask("sha256", "x")) == 64 and mask("sha256", None) is None


def test_a_masked_member_field():
    masked = dataclasses.replace(MI, masking={"members[].id_number": "id_number_partial", "members[].name": "surname_only"})
    [pe] = project(masked, enrolled(), Roster((ADULT,)), NO_DECISIONS, DAY)
    assert pe.data["members"] == [{"name": "张*", "id_number": ADULT["id_number"][:6] + "********" +
                                   ADULT["id_number"][-4:], "relationship": "self"}]


def test_birth_date_and_age():
    assert birth_date("11010519491231002X") == date(1949, 12, 31)
    assert birth_date("110105194913310020") is None and birth_date("") is None
    assert age_on(date(2010, 12, 15), DAY) == 16 and age_on(date(2010, 12, 16), DAY) == 15


def test_a_member_without_a_valid_birth_date_fails_an_age_filter():
    member = {"name": "无名", "id_number": "530102000000000000", "relationship": "child", "labour_capacity": "full"}
    assert project(HR, enrolled(), Roster((member,)), NO_DECISIONS, DAY) == []


# -- agreements as data ------------------------------------------------------------------------------------------
def _doc(name="medical_insurance.enrolments.json") -> dict:
    return json.loads((AGREEMENTS_DIR / name).read_text(encoding="utf-8"))


def test_an_agreement_must_name_a_declared_department_and_mask_only_allowed_fields():
    parse(_doc())
    with pytest.raises(AgreementInvalid, match="partner-departments"):
        parse({**_doc(), "department": "tax_bureau"})
    with pytest.raises(AgreementInvalid, match="masking"):
        parse({**_doc(), "masking": {"per_capita_monthly_income_yuan": "sha256"}})
    with pytest.raises(AgreementInvalid, match="legal_basis"):
        parse({**_doc(), "legal_basis": []})
    with pytest.raises(AgreementInvalid):
        parse({**_doc(), "stream": "signal"})


def test_a_new_agreement_is_one_more_file(tmp_path):
    for p in AGREEMENTS_DIR.glob("*.json"):
        (tmp_path / p.name).write_text(p.read_text(encoding="utf-8"), encoding="utf-8")
    housing = {**_doc(), "id": "housing.dwellings", "department": "housing", "stream": "dwellings",
               "consent_purpose": "housing_renovation"}
    (tmp_path / "housing.dwellings.json").write_text(json.dumps(housing), encoding="utf-8")
    loaded = {a.id: a for a in load_agreements(tmp_path)}
    assert loaded["housing.dwellings"].topic("t.") == "t.partner.housing.dwellings"
    [pe] = project(loaded["housing.dwellings"], enrolled(), ROSTER, NO_DECISIONS, DAY)
    assert pe.type == "partner.housing.dwellings.household_enrolled"
    (tmp_path / "dup.json").write_text(json.dumps({**housing, "id": "housing.other"}), encoding="utf-8")
    with pytest.raises(AgreementInvalid, match="share"):
        load_agreements(tmp_path)
