"""Partner signal records: every kind parses, and each broken rule is named with its field."""
import random
from datetime import date
from decimal import Decimal

import pytest
from stdnum.cn import ric

from discovery.domain.identity import IdentityRuleBroken, check_resident_id
from discovery.domain.signals import SIGNAL_KINDS, InvalidSignal, SignalRecord, parse_record

TODAY = date(2025, 12, 31)
VALID_ID = "11010519491231002X"


def resident_id(county: str = "530102", born: str = "19800101", seq: str = "001") -> str:
    body = county + born + seq
    return body + ric.calc_check_digit(body + "0")


def raw(kind: str = "medical_expense", **changes) -> dict:
    amounts = {
        "medical_expense": {"per_stay_yuan": "7000.50"},
        "severe_disability": {"grade": 1},
        "crop_failure": {"loss_share": "0.6"},
        "disaster_loss": {"loss_yuan": 30000},
        "education_cost": {"annual_cost_yuan": "12000"},
        "income_drop": {"previous_monthly_yuan": "3000", "current_monthly_yuan": "1000"},
    }.get(kind, {})
    record = {"source_department": "medical_insurance", "external_id": "MI-2025-000001", "kind": kind,
              "id_number": VALID_ID, "division_code": "530102001001", "occurred_on": "2025-03-04",
              "household_status": "monitored", "amounts": amounts, "note": None}
    record.update(changes)
    return record


def broken(record: dict) -> tuple[str, str]:
    with pytest.raises(InvalidSignal) as exc:
        parse_record(record, today=TODAY)
    assert exc.value.message and exc.value.message_zh
    return exc.value.field, exc.value.rule


def test_a_medical_record_parses_into_exact_values():
    record = parse_record(raw(note="住院 12 天"), today=TODAY)
    assert record == SignalRecord("medical_insurance", "MI-2025-000001", "medical_expense", VALID_ID, "530102001001",
                                  date(2025, 3, 4), "monitored", {"per_stay_yuan": Decimal("7000.50")}, "住院 12 天")


@pytest.mark.parametrize("kind", sorted(SIGNAL_KINDS))
def test_every_kind_parses_with_its_amounts(kind):
    record = parse_record(raw(kind), today=TODAY)
    assert record.kind == kind
    assert all(isinstance(value, Decimal) for value in record.amounts.values())


def test_missing_status_means_none_and_amounts_of_every_json_type_become_exact_decimals():
    record = parse_record(raw(household_status=None, amounts={"per_stay_yuan": 7000.1, "cumulative_year_yuan": 12000}),
                          today=TODAY)
    assert record.household_status == "none"
    assert record.amounts == {"per_stay_yuan": Decimal("7000.1"), "cumulative_year_yuan": Decimal("12000")}
    assert str(record.amounts["per_stay_yuan"]) == "7000.1"  # not the binary expansion of the float


def test_id_number_lowercase_x_and_spaces_are_normalised():
    assert parse_record(raw(id_number="110105 19491231 002x"), today=TODAY).id_number == VALID_ID


@pytest.mark.parametrize("name", ["source_department", "external_id", "kind", "id_number", "division_code", "occurred_on"])
def test_each_required_field_missing_or_empty_is_named(name):
    record = raw()
    del record[name]
    assert broken(record) == (name, "field_missing")
    assert broken(raw(**{name: ""})) == (name, "field_missing")


def test_unknown_top_level_field_is_refused_so_typos_do_not_pass_silently():
    assert broken(raw(ammounts={})) == ("ammounts", "field_unknown")


def test_unknown_kind_is_refused():
    assert broken(raw(kind="lottery_win")) == ("kind", "kind_unknown")


@pytest.mark.parametrize("value, rule", [
    ("11010519491231002", "id_number_length"),
    ("1101051949123100AX", "id_number_format"),
    ("11010519491231003X", "id_number_checksum"),
    (resident_id("110105", "19490231"), "id_number_birth_date"),
    (resident_id("999999"), "id_number_region"),
    (resident_id("110199"), "id_number_region"),  # a province code but no such county
])
def test_broken_identity_rules_keep_their_rule_name(value, rule):
    assert broken(raw(id_number=value)) == ("id_number", rule)


@pytest.mark.parametrize("value, rule", [
    ("53010", "division_code_format"),
    ("5301020010011", "division_code_format"),
    ("990102001001", "division_code_province"),
    ("530000", "division_code_level"),
    ("530199001001", "division_code_county"),
])
def test_broken_division_code_rules_keep_their_rule_name(value, rule):
    assert broken(raw(division_code=value)) == ("division_code", rule)


def test_numbers_instead_of_text_are_refused_by_type():
    assert broken(raw(id_number=110105194912310020)) == ("id_number", "field_type")
    assert broken(raw(division_code=530102)) == ("division_code", "field_type")
    assert broken(raw(external_id=17)) == ("external_id", "field_type")


def test_fast_id_path_agrees_with_check_resident_id():
    rng = random.Random(7)
    counties = ["530102", "431228", "110105", "622421", "110199", "999999", "000000"]
    for _ in range(3000):
        born = f"{rng.randint(1900, 2030)}{rng.randint(0, 13):02d}{rng.randint(0, 32):02d}"
        number = resident_id(rng.choice(counties), born, f"{rng.randint(0, 999):03d}")
        if rng.random() < 0.3:  # corrupt one character
            i = rng.randrange(18)
            number = number[:i] + rng.choice("0123456789X") + number[i + 1:]
        try:
            expected = check_resident_id(number)
        except IdentityRuleBroken as error:
            assert broken(raw(id_number=number)) == ("id_number", error.rule), number
        else:
            assert parse_record(raw(id_number=number), today=TODAY).id_number == expected


def test_occurred_on_today_is_accepted_and_tomorrow_is_refused():
    assert parse_record(raw(occurred_on="2025-12-31"), today=TODAY).occurred_on == TODAY
    assert broken(raw(occurred_on="2026-01-01")) == ("occurred_on", "date_in_future")


@pytest.mark.parametrize("value, rule", [("2025-02-30", "date_invalid"), ("20250304", "date_format"),
                                         ("04/03/2025", "date_format"), (20250304, "date_format")])
def test_bad_dates_are_refused(value, rule):
    assert broken(raw(occurred_on=value)) == ("occurred_on", rule)


def test_unknown_household_status_is_refused():
    assert broken(raw(household_status="poor")) == ("household_status", "household_status_unknown")


def test_kind_specific_amount_missing_is_refused():
    assert broken(raw(amounts={})) == ("amounts.per_stay_yuan", "amount_missing")
    assert broken(raw("income_drop", amounts={"previous_monthly_yuan": "3000"})) == (
        "amounts.current_monthly_yuan", "amount_missing")
    assert broken(raw("severe_disability", amounts={})) == ("amounts.grade", "amount_missing")
    assert broken(raw("education_cost", amounts={})) == ("amounts.annual_cost_yuan", "amount_missing")


def test_amount_that_the_kind_does_not_have_is_refused():
    assert broken(raw(amounts={"per_stay_yuan": "1", "per_stay_yaun": "2"})) == ("amounts.per_stay_yaun", "amount_unknown")
    assert broken(raw("earner_death", amounts={"loss_yuan": "1"})) == ("amounts.loss_yuan", "amount_unknown")


@pytest.mark.parametrize("value, rule", [
    ("-0.01", "amount_negative"), (-1, "amount_negative"), ("abc", "amount_not_number"), ("", "amount_not_number"),
    (True, "amount_not_number"), (None, "amount_not_number"), ("NaN", "amount_not_number"),
    (float("inf"), "amount_not_number"), ([1], "amount_not_number"),
])
def test_bad_amounts_are_refused(value, rule):
    assert broken(raw(amounts={"per_stay_yuan": value})) == ("amounts.per_stay_yuan", rule)


def test_zero_amount_is_accepted():
    assert parse_record(raw(amounts={"per_stay_yuan": "0"}), today=TODAY).amounts["per_stay_yuan"] == 0


@pytest.mark.parametrize("grade, ok", [(0, False), (1, True), (4, True), (5, False), ("1.5", False), ("2.0", True)])
def test_disability_grade_is_a_whole_number_from_1_to_4(grade, ok):
    record = raw("severe_disability", amounts={"grade": grade})
    if ok:
        assert parse_record(record, today=TODAY).amounts["grade"] == Decimal(str(grade))
    else:
        assert broken(record) == ("amounts.grade", "amount_out_of_range")


def test_loss_share_is_at_most_one_and_income_drop_needs_a_previous_income():
    assert parse_record(raw("crop_failure", amounts={"loss_share": "1"}), today=TODAY).amounts["loss_share"] == 1
    assert broken(raw("crop_failure", amounts={"loss_share": "1.01"})) == ("amounts.loss_share", "amount_out_of_range")
    assert broken(raw("income_drop", amounts={"previous_monthly_yuan": "0", "current_monthly_yuan": "0"})) == (
        "amounts.previous_monthly_yuan", "amount_zero")


def test_note_must_be_text_of_bounded_length():
    assert broken(raw(note=5)) == ("note", "note_type")
    assert broken(raw(note="长" * 2001)) == ("note", "note_too_long")
    assert parse_record(raw(note=""), today=TODAY).note is None


def test_a_record_that_is_not_an_object_is_refused():
    assert broken(["not", "a", "dict"]) == ("record", "record_not_object")
