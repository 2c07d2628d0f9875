"""Rules for the identity data a household gives: resident ID numbers and administrative division codes."""
from __future__ import annotations

from stdnum import exceptions as stdnum_errors
from stdnum import numdb
from stdnum.cn import ric

# GB/T 2260 province-level codes (first two digits of every division code and resident ID number).
PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43",
    "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
})


class IdentityRuleBroken(ValueError):
    """A rule about an identity field was broken; carries a machine-readable rule and bilingual messages."""

    def __init__(self, rule: str, message: str, message_zh: str):
        self.rule, self.message, self.message_zh = rule, message, message_zh
        super().__init__(message)


def known_county(code: str) -> bool:
    """A county code that GB/T 2260 has ever assigned (python-stdnum's table).

    Not tied to the birth year as stdnum's own validate() is: a number keeps the code of the place and time it was
    issued, so a person born before a county was renamed can hold the new code; refusing them would refuse real people.
    """
    info = {k: v for _part, props in numdb.get("cn/loc").info(code) for k, v in props.items()}
    return "county" in info


def check_resident_id(value: str) -> str:
    """Returns the normalised 18-character resident ID number, or raises naming the broken rule.

    Uses python-stdnum's cn.ric for the ISO 7064 MOD 11-2 check digit, the birth date and the county table.
    """
    number = ric.compact((value or "").replace(" ", ""))
    if len(number) != 18:
        raise IdentityRuleBroken("id_number_length", "a resident ID number has 18 characters",
                                 "居民身份证号码必须为 18 位")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdentityRuleBroken("id_number_format", "17 digits followed by a digit or X",
                                 "前 17 位必须为数字，最后一位为数字或 X")
    if number[:2] not in PROVINCE_CODES:
        raise IdentityRuleBroken("id_number_region", "the first two digits must be a province code",
                                 "前两位必须是有效的省级行政区划代码")
    if number[-1] != ric.calc_check_digit(number):
        raise IdentityRuleBroken("id_number_checksum", "the check digit (ISO 7064 MOD 11-2) does not match",
                                 "校验码（ISO 7064 MOD 11-2）不正确")
    try:
        ric.get_birth_date(number)
    except stdnum_errors.ValidationError:
        raise IdentityRuleBroken("id_number_birth_date", "characters 7-14 must be a real birth date",
                                 "第 7-14 位必须是有效的出生日期") from None
    if not known_county(number[:6]):
        raise IdentityRuleBroken("id_number_region", "characters 1-6 must be a county code (GB/T 2260)",
                                 "前 6 位必须是有效的县级行政区划代码（GB/T 2260）")
    return number


def check_division_code(value: str) -> str:
    """A 6 (county), 9 (township) or 12 (village) digit administrative division code of a real province."""
    code = (value or "").strip()
    if not code.isdigit() or len(code) not in (6, 9, 12):
        raise IdentityRuleBroken("division_code_format", "6, 9 or 12 digits (county, township or village)",
                                 "行政区划代码必须为 6、9 或 12 位数字（县、乡镇、村）")
    if code[:2] not in PROVINCE_CODES:
        raise IdentityRuleBroken("division_code_province", "the first two digits must be a province code",
                                 "前两位必须是有效的省级行政区划代码")
    if code[2:6] == "0000":
        raise IdentityRuleBroken("division_code_level", "must name at least a county, not a whole province",
                                 "至少精确到县级，不能只填省级代码")
    if not known_county(code[:6]):
        raise IdentityRuleBroken("division_code_county", "the first six digits must be a county code (GB/T 2260)",
                                 "前 6 位必须是有效的县级行政区划代码（GB/T 2260）")
    return code


def mask_id_number(number: str) -> str:
    """Shows the region (6) and the last 4 characters, hides the birth date."""
    return number[:6] + "********" + number[-4:] if len(number) == 18 else "*" * len(number)
