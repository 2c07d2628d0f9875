"""Partner signal amounts: what each kind must carry, and every rule a value can break (field, rule, en + zh)."""
from decimal import Decimal as D

import pytest

from followup.domain.identity import IdNumberRuleBroken, check_resident_id, mask
from followup.domain.signals import InvalidSignal, check_amounts


def test_valid_amounts_come_back_as_decimals():
    assert check_amounts("medical_expense", {"per_stay_yuan": 8000}).amounts == {"per_stay_yuan": D(8000)}
    assert check_amounts("earner_death", None).amounts == {}
    assert check_amounts("disaster_loss", {"loss_share": "0.4"}).amounts == {"loss_share": D("0.4")}


@pytest.mark.parametrize("kind,amounts,field,rule", [
    ("lottery", {}, "kind", "kind_unknown"),
    ("medical_expense", {}, "amounts", "amount_required"),
    ("medical_expense", {"per_stay_yuan": -1}, "amounts.per_stay_yuan", "amount_negative"),
    ("medical_expense", {"per_stay_yuan": "many"}, "amounts.per_stay_yuan", "amount_not_number"),
    ("medical_expense", {"per_stay_yuan": True}, "amounts.per_stay_yuan", "amount_not_number"),
    ("medical_expense", {"per_stay_yuan": "Infinity"}, "amounts.per_stay_yuan", "amount_negative"),
    ("medical_expense", {"grade": 1}, "amounts.grade", "amount_unknown"),
    ("severe_disability", {}, "amounts.grade", "amount_required"),
    ("severe_disability", {"grade": 5}, "amounts.grade", "disability_grade"),
    ("severe_disability", {"grade": "1.5"}, "amounts.grade", "disability_grade"),
    ("disaster_loss", {"loss_share": "1.01"}, "amounts.loss_share", "share_above_one"),
    ("income_drop", {"previous_monthly_yuan": 0, "current_monthly_yuan": 0}, "amounts.previous_monthly_yuan", "amount_zero"),
    ("income_drop", {"previous_monthly_yuan": 900}, "amounts.current_monthly_yuan", "amount_required"),
    ("earner_death", {"loss_yuan": 1}, "amounts.loss_yuan", "amount_unknown"),
])
def test_each_broken_rule_names_the_field_and_the_rule(kind, amounts, field, rule):
    with pytest.raises(InvalidSignal) as exc:
        check_amounts(kind, amounts)
    assert (exc.value.field, exc.value.rule) == (field, rule)
    assert exc.value.message and exc.value.message_zh
    assert exc.value.as_dict()["rule"] == rule


@pytest.mark.parametrize("number,rule", [
    ("11010519491231002", "id_number_length"),
    ("1101051949123100AX", "id_number_format"),
    ("99010519491231002X", "id_number_region"),
    ("110105194913310024", "id_number_birth_date"),
    ("110105194912310021", "id_number_checksum"),
])
def test_resident_id_numbers_are_checked(number, rule):
    with pytest.raises(IdNumberRuleBroken) as exc:
        check_resident_id(number)
    assert exc.value.rule == rule and exc.value.message_zh


def test_a_valid_number_is_normalised_and_masked_in_answers():
    assert check_resident_id("11010519491231002x") == "11010519491231002X"
    assert mask("11010519491231002X") == "110105********002X"
    assert mask(None) is None
