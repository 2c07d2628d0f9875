"""Identity rules: resident ID numbers (python-stdnum) and administrative division codes, at each rule's edge."""
import pytest

from discovery.domain.identity import IdentityRuleBroken, check_division_code, check_resident_id, mask_id_number

VALID = "11010519491231002X"


def broken_rule(fn, value) -> str:
    with pytest.raises(IdentityRuleBroken) as exc:
        fn(value)
    return exc.value.rule


def test_valid_id_with_x_check_digit_is_accepted_and_lowercase_x_normalised():
    assert check_resident_id(VALID) == VALID
    assert check_resident_id(VALID.lower()) == VALID
    assert check_resident_id(" 110105 19491231 002X ") == VALID


@pytest.mark.parametrize("value", [VALID[:-1], VALID + "1", ""])
def test_length_other_than_18_is_refused(value):
    assert broken_rule(check_resident_id, value) == "id_number_length"


def test_letter_inside_the_number_is_refused():
    assert broken_rule(check_resident_id, "1101051949123100AX") == "id_number_format"


def test_every_wrong_check_digit_is_refused():
    for digit in "0123456789":
        assert broken_rule(check_resident_id, VALID[:-1] + digit) == "id_number_checksum"


def test_impossible_birth_date_is_refused():
    from stdnum.cn import ric
    body = "11010519490231002"  # 31 February
    assert broken_rule(check_resident_id, body + ric.calc_check_digit(body + "0")) == "id_number_birth_date"


def test_unknown_county_is_refused():
    from stdnum.cn import ric
    body = "53999919491231002"
    assert broken_rule(check_resident_id, body + ric.calc_check_digit(body + "0")) == "id_number_region"


def test_unknown_province_is_refused():
    from stdnum.cn import ric
    body = "99010519491231002"
    assert broken_rule(check_resident_id, body + ric.calc_check_digit(body + "0")) == "id_number_region"


@pytest.mark.parametrize("code", ["110105", "110105001", "530102001001"])
def test_county_township_and_village_codes_are_accepted(code):
    assert check_division_code(code) == code


@pytest.mark.parametrize("code,rule", [
    ("11010", "division_code_format"), ("1101050", "division_code_format"), ("5301020010011", "division_code_format"),
    ("11010a", "division_code_format"), ("990105", "division_code_province"), ("530000", "division_code_level"), ("539999", "division_code_county"),
])
def test_bad_division_codes_name_their_rule(code, rule):
    assert broken_rule(check_division_code, code) == rule


def test_masking_hides_the_birth_date():
    assert mask_id_number(VALID) == "110105********002X"
