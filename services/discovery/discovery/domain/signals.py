"""Partner-department signals (部门筛查预警数据): the kinds we accept and the validation of one record."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cached_property, lru_cache
from typing import Any, Literal, Mapping

from stdnum.cn import ric

from discovery.domain.identity import (
    PROVINCE_CODES,
    IdentityRuleBroken,
    check_division_code,
    check_resident_id,
    known_county,
)

HouseholdStatus = Literal["none", "formerly_poor", "monitored", "enrolled"]
HOUSEHOLD_STATUSES: frozenset[str] = frozenset({"none", "formerly_poor", "monitored", "enrolled"})

RECORD_FIELDS: frozenset[str] = frozenset({
    "source_department", "external_id", "kind", "id_number", "division_code", "occurred_on",
    "household_status", "amounts", "note",
})
MAX_TEXT = {"source_department": 64, "external_id": 128}
MAX_NOTE = 2000
MAX_AMOUNT = Decimal(10_000_000)  # yuan per item (CONVENTIONS); shares and grades have their own, narrower bounds
# Field names as Chinese messages show them (no codes in Chinese text).
FIELD_ZH = {"source_department": "报送部门", "external_id": "外部记录编号", "kind": "信号类型", "id_number": "身份证号码",
            "division_code": "行政区划代码", "occurred_on": "发生日期", "amounts": "金额", "per_stay_yuan": "单次住院自付费用（元）",
            "cumulative_year_yuan": "年度累计自付费用（元）", "grade": "残疾等级", "previous_monthly_yuan": "此前月收入（元）",
            "current_monthly_yuan": "当前月收入（元）", "loss_yuan": "损失金额（元）", "loss_share": "损失比例",
            "annual_cost_yuan": "年度教育支出（元）"}


def _zh(name: str) -> str:
    return FIELD_ZH.get(name.removeprefix("amounts."), "该字段")


@dataclass(frozen=True)
class SignalKind:
    """What a partner may report and which amounts must come with it."""

    name: str
    label_zh: str
    all_of: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    # Inclusive (lowest, highest, whole numbers only) for amounts that are not open-ended money.
    bounds: Mapping[str, tuple[Decimal, Decimal, bool]] = field(default_factory=dict)
    # Amounts that are divided by, so zero would make the signal meaningless.
    positive: tuple[str, ...] = ()

    @cached_property
    def amount_fields(self) -> frozenset[str]:
        return frozenset(self.all_of + self.any_of + self.optional)


_SHARE = (Decimal(0), Decimal(1), False)

SIGNAL_KINDS: Mapping[str, SignalKind] = {k.name: k for k in (
    SignalKind("medical_expense", "医疗自付费用高", any_of=("per_stay_yuan", "cumulative_year_yuan")),
    SignalKind("severe_disability", "新增一二级重度残疾", all_of=("grade",),
               bounds={"grade": (Decimal(1), Decimal(4), True)}),
    SignalKind("earner_death", "主要劳动力死亡"),
    SignalKind("earner_labour_loss", "主要劳动力因意外等丧失劳动能力"),
    SignalKind("unemployment", "家庭成员失业、无法外出务工", optional=("previous_monthly_yuan",)),
    SignalKind("migrant_return", "外出务工人员返乡"),
    SignalKind("crop_failure", "农作物减产或绝收", any_of=("loss_yuan", "loss_share"), bounds={"loss_share": _SHARE}),
    SignalKind("disaster_loss", "自然灾害损失", any_of=("loss_yuan", "loss_share"), bounds={"loss_share": _SHARE}),
    SignalKind("education_cost", "教育支出大", all_of=("annual_cost_yuan",)),
    SignalKind("income_drop", "收入大幅下降", all_of=("previous_monthly_yuan", "current_monthly_yuan"),
               positive=("previous_monthly_yuan",)),
)}


class InvalidSignal(ValueError):
    """A signal record (or a line of a signal file) broke a rule; names the field and the rule, in two languages."""

    def __init__(self, field: str, rule: str, message: str, message_zh: str):
        self.field, self.rule, self.message, self.message_zh = field, rule, message, message_zh
        super().__init__(f"{field}: {message}")

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "rule": self.rule, "message": self.message, "message_zh": self.message_zh}


@dataclass(frozen=True, slots=True)
class SignalRecord:
    """One validated partner signal about one person; unique per (source_department, external_id)."""

    source_department: str
    external_id: str
    kind: str
    id_number: str
    division_code: str
    occurred_on: date
    household_status: HouseholdStatus = "none"
    amounts: Mapping[str, Decimal] = field(default_factory=dict)
    note: str | None = None


def parse_record(raw: Mapping[str, Any], *, today: date | None = None) -> SignalRecord:
    """Validates one raw record (decoded JSON or a CSV row) or raises InvalidSignal at the first broken rule.

    `today` is the clock for the "not in the future" rule; pass it once per file rather than reading the clock per record.
    """
    if not isinstance(raw, Mapping):
        raise InvalidSignal("record", "record_not_object", "a record must be a JSON object", "每条记录必须是 JSON 对象")
    if not RECORD_FIELDS.issuperset(raw):
        name = sorted(map(str, raw.keys() - RECORD_FIELDS))[0]
        raise InvalidSignal(name, "field_unknown", f"unknown field {name!r}", f"未知字段 {name!r}")
    source = _text(raw, "source_department")
    external_id = _text(raw, "external_id")
    kind = raw.get("kind")
    spec = SIGNAL_KINDS.get(kind) if isinstance(kind, str) else None
    if spec is None:
        if kind is None or kind == "":
            raise _missing("kind")
        raise InvalidSignal("kind", "kind_unknown", f"unknown signal kind {kind!r}; known: {', '.join(SIGNAL_KINDS)}",
                            f"未知的信号类型 {kind!r}")
    id_number = _resident_id(raw.get("id_number"))
    division_code = _division_code(raw.get("division_code"))
    occurred_on = _occurred_on(raw.get("occurred_on"), today or date.today())
    status = raw.get("household_status")
    if status is None or status == "":
        status = "none"
    elif status not in HOUSEHOLD_STATUSES:
        raise InvalidSignal("household_status", "household_status_unknown",
                            f"household_status must be one of {', '.join(sorted(HOUSEHOLD_STATUSES))}",
                            "户状态必须是：无、脱贫户、监测对象或已纳入救助之一")
    amounts = _amounts(raw.get("amounts"), spec)
    note = raw.get("note")
    if note is not None:
        if not isinstance(note, str):
            raise InvalidSignal("note", "note_type", "note must be text", "备注必须是文本")
        if len(note) > MAX_NOTE:
            raise InvalidSignal("note", "note_too_long", f"note is longer than {MAX_NOTE} characters",
                                f"备注不能超过 {MAX_NOTE} 个字符")
        note = note or None
    return SignalRecord(source, external_id, kind, id_number, division_code, occurred_on, status, amounts, note)


def _missing(name: str) -> InvalidSignal:
    return InvalidSignal(name, "field_missing", f"{name} is required", f"缺少必填字段：{_zh(name)}")


def _text(raw: Mapping[str, Any], name: str) -> str:
    value = raw.get(name)
    if value is None or value == "":
        raise _missing(name)
    if not isinstance(value, str):
        raise InvalidSignal(name, "field_type", f"{name} must be text", f"{_zh(name)}必须是文本")
    limit = MAX_TEXT[name]
    if len(value) > limit or value != value.strip():
        raise InvalidSignal(name, "field_format", f"{name} must be at most {limit} characters without surrounding spaces",
                            f"{_zh(name)}不能超过 {limit} 个字符，且首尾不能有空格")
    return value


@lru_cache(maxsize=16384)
def _known_county(code: str) -> bool:
    # python-stdnum's table lookup costs ~20 µs; there are only a few thousand county codes, so each is looked up once.
    return known_county(code)


def _birth_date_real(number: str) -> bool:
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return True


def _resident_id(value: Any) -> str:
    if value is None or value == "":
        raise _missing("id_number")
    if not isinstance(value, str):
        raise InvalidSignal("id_number", "field_type", "id_number must be text", "身份证号码必须是文本")
    # Fast path for an already-canonical number: the same checks as check_resident_id, in the same order, with the
    # county lookup cached. Anything it does not accept goes to check_resident_id, which normalises or names the rule.
    if (len(value) == 18 and value.isascii() and value[:17].isdigit() and (value[17].isdigit() or value[17] == "X")
            and value[:2] in PROVINCE_CODES and ric.calc_check_digit(value) == value[17]
            and _birth_date_real(value) and _known_county(value[:6])):
        return value
    try:
        return check_resident_id(value)
    except IdentityRuleBroken as broken:
        raise InvalidSignal("id_number", broken.rule, broken.message, broken.message_zh) from None


def _division_code(value: Any) -> str:
    if value is None or value == "":
        raise _missing("division_code")
    if not isinstance(value, str):
        raise InvalidSignal("division_code", "field_type", "division_code must be text", "行政区划代码必须是文本")
    if (len(value) in (6, 9, 12) and value.isascii() and value.isdigit() and value[:2] in PROVINCE_CODES
            and value[2:6] != "0000" and _known_county(value[:6])):
        return value
    try:
        return check_division_code(value)
    except IdentityRuleBroken as broken:
        raise InvalidSignal("division_code", broken.rule, broken.message, broken.message_zh) from None


def _occurred_on(value: Any, today: date) -> date:
    if value is None or value == "":
        raise _missing("occurred_on")
    if isinstance(value, date) and not isinstance(value, datetime):
        day = value
    elif isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            day = date.fromisoformat(value)
        except ValueError:
            day = None
        if day is None:
            raise InvalidSignal("occurred_on", "date_invalid", f"{value!r} is not a real date",
                                f"{value!r} 不是有效日期")
    else:
        raise InvalidSignal("occurred_on", "date_format", "occurred_on must be a date written YYYY-MM-DD",
                            "发生日期格式必须为 YYYY-MM-DD")
    if day > today:
        raise InvalidSignal("occurred_on", "date_in_future", f"occurred_on {day} is after today ({today})",
                            f"发生日期 {day} 晚于今天（{today}）")
    return day


def _amounts(value: Any, spec: SignalKind) -> dict[str, Decimal]:
    if value is None:
        value = {}
    elif not isinstance(value, Mapping):
        raise InvalidSignal("amounts", "field_type", "amounts must be an object of name to number",
                            "金额必须是“名称: 数值”的对象")
    allowed = spec.amount_fields
    amounts: dict[str, Decimal] = {}
    for name, raw_amount in value.items():
        if name not in allowed:
            raise InvalidSignal(f"amounts.{name}", "amount_unknown",
                                f"{spec.name} has no amount {name!r}; allowed: {', '.join(sorted(allowed)) or 'none'}",
                                f"{spec.label_zh}类信号没有该数值字段")
        amounts[name] = _amount(f"amounts.{name}", raw_amount)
    for name in spec.all_of:
        if name not in amounts:
            raise InvalidSignal(f"amounts.{name}", "amount_missing", f"{spec.name} needs amount {name}",
                                f"{spec.label_zh}类信号必须提供{_zh(name)}")
    if spec.any_of and not any(name in amounts for name in spec.any_of):
        names = " or ".join(spec.any_of)
        raise InvalidSignal(f"amounts.{spec.any_of[0]}", "amount_missing", f"{spec.name} needs {names}",
                            f"{spec.label_zh}类信号至少提供{'、'.join(_zh(n) for n in spec.any_of)}之一")
    for name, (lowest, highest, whole) in spec.bounds.items():
        amount = amounts.get(name)
        if amount is not None and (amount < lowest or amount > highest or (whole and amount != amount.to_integral_value())):
            kind_of = "a whole number" if whole else "a number"
            raise InvalidSignal(f"amounts.{name}", "amount_out_of_range",
                                f"{name} must be {kind_of} from {lowest} to {highest}",
                                f"{_zh(name)}必须在 {lowest} 到 {highest} 之间" + ("且为整数" if whole else ""))
    for name in spec.positive:
        if amounts.get(name) == 0:
            raise InvalidSignal(f"amounts.{name}", "amount_zero", f"{name} must be above zero", f"{_zh(name)}必须大于零")
    return amounts


def _amount(name: str, value: Any) -> Decimal:
    kind = type(value)
    if kind is Decimal:
        amount = value
    elif kind is int:
        amount = Decimal(value)
    elif kind is float:
        if not math.isfinite(value):
            raise _not_a_number(name)
        amount = Decimal(repr(value))  # the shortest text that round-trips, not the binary expansion
    elif kind is str:
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            raise _not_a_number(name) from None
    else:  # bool, None, lists, objects
        raise _not_a_number(name)
    if not amount.is_finite():
        raise _not_a_number(name)
    if amount < 0:
        raise InvalidSignal(name, "amount_negative", f"{name} cannot be negative", f"{_zh(name)}不能为负数")
    if amount > MAX_AMOUNT:
        raise InvalidSignal(name, "amount_out_of_range", f"{name} must be at most {MAX_AMOUNT}",
                            f"{_zh(name)}不能超过 {MAX_AMOUNT}")
    return amount


def _not_a_number(name: str) -> InvalidSignal:
    return InvalidSignal(name, "amount_not_number", f"{name} must be a finite number", f"{_zh(name)}必须是有效数字")
