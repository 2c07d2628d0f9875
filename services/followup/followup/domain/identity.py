"""Resident ID numbers as the platform checks them: 18 characters, a province, a real birth date, the check digit."""
from __future__ import annotations

from datetime import date

from stdnum.cn import ric

PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43",
    "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
})


class IdNumberRuleBroken(ValueError):
    def __init__(self, rule: str, message: str, message_zh: str):
        self.rule, self.message, self.message_zh = rule, message, message_zh
        super().__init__(message)


def check_resident_id(value: str) -> str:
    """The normalised number (upper-case X), or IdNumberRuleBroken naming the rule."""
    number = (value or "").replace(" ", "").upper()
    if len(number) != 18:
        raise IdNumberRuleBroken("id_number_length", "a resident ID number has 18 characters", "居民身份证号码必须为 18 位")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdNumberRuleBroken("id_number_format", "17 digits followed by a digit or X", "前 17 位必须为数字，最后一位为数字或 X")
    if number[:2] not in PROVINCE_CODES:
        raise IdNumberRuleBroken("id_number_region", "the first two digits must be a province code",
                                 "前两位必须是有效的省级行政区划代码")
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberRuleBroken("id_number_birth_date", "characters 7-14 must be a real birth date",
                                 "第 7-14 位必须是有效的出生日期") from None
    if number[-1] != ric.calc_check_digit(number):
        raise IdNumberRuleBroken("id_number_checksum", "the check digit (ISO 7064 MOD 11-2) does not match",
                                 "校验码（ISO 7064 MOD 11-2）不正确")
    return number


def mask(number: str | None) -> str | None:
    """110105********002X: the county and the last four characters only."""
    if not number:
        return number
    return number[:6] + "*" * (len(number) - 10) + number[-4:]
