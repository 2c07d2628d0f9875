"""Partner risk signals about a household under follow-up: the kinds accepted and the amounts each must carry.

The kinds are those of the inbound contract partner.signal.reported, so a department sends the same record to
discovery and to follow-up. Validation raises InvalidSignal naming the field and the rule in both languages.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any


@dataclass(frozen=True)
class SignalKind:
    name: str
    label_zh: str
    all_of: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    shares: tuple[str, ...] = ()      # amounts that are a share, 0 to 1
    grades: tuple[str, ...] = ()      # disability grades, whole numbers 1 to 4
    positive: tuple[str, ...] = ()    # divided by, so zero would be meaningless

    @property
    def amount_fields(self) -> frozenset[str]:
        return frozenset(self.all_of + self.any_of + self.optional)


SIGNAL_KINDS: Mapping[str, SignalKind] = {k.name: k for k in (
    SignalKind("medical_expense", "医疗自付费用高", any_of=("per_stay_yuan", "cumulative_year_yuan")),
    SignalKind("severe_disability", "新增重度残疾", all_of=("grade",), grades=("grade",)),
    SignalKind("earner_death", "主要劳动力死亡"),
    SignalKind("earner_labour_loss", "主要劳动力丧失劳动能力"),
    SignalKind("unemployment", "家庭成员失业、无法外出务工", optional=("previous_monthly_yuan",)),
    SignalKind("migrant_return", "外出务工人员返乡"),
    SignalKind("crop_failure", "农作物减产或绝收", any_of=("loss_yuan", "loss_share"), shares=("loss_share",)),
    SignalKind("disaster_loss", "自然灾害损失", any_of=("loss_yuan", "loss_share"), shares=("loss_share",)),
    SignalKind("education_cost", "教育支出大", all_of=("annual_cost_yuan",)),
    SignalKind("income_drop", "收入大幅下降", all_of=("previous_monthly_yuan", "current_monthly_yuan"),
               positive=("previous_monthly_yuan",)),
)}


AMOUNT_ZH: Mapping[str, str] = {
    "per_stay_yuan": "单次住院自付金额", "cumulative_year_yuan": "本年度累计自付金额", "grade": "残疾等级",
    "previous_monthly_yuan": "此前月收入", "current_monthly_yuan": "当前月收入", "loss_yuan": "损失金额",
    "loss_share": "损失占家庭年收入比例", "annual_cost_yuan": "年教育支出"}


def _zh(names) -> str:
    return "、".join(AMOUNT_ZH.get(n, n) for n in names) or "无"


class InvalidSignal(ValueError):
    def __init__(self, field: str, rule: str, message: str, message_zh: str):
        self.field, self.rule, self.message, self.message_zh = field, rule, message, message_zh
        super().__init__(f"{field}: {message}")

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "rule": self.rule, "message": self.message, "message_zh": self.message_zh}


@dataclass(frozen=True)
class SignalAmounts:
    kind: str
    amounts: Mapping[str, Decimal] = field(default_factory=dict)


def check_amounts(kind: str, raw: Mapping[str, Any] | None) -> SignalAmounts:
    """The amounts of a signal of ``kind`` as Decimals, or InvalidSignal at the first broken rule."""
    spec = SIGNAL_KINDS.get(kind)
    if spec is None:
        raise InvalidSignal("kind", "kind_unknown", f"unknown signal kind {kind!r}; known: {', '.join(SIGNAL_KINDS)}",
                            f"未知的信号类型；可报送：{'、'.join(k.label_zh for k in SIGNAL_KINDS.values())}")
    raw = dict(raw or {})
    amounts: dict[str, Decimal] = {}
    for name, value in raw.items():
        where = f"amounts.{name}"
        if name not in spec.amount_fields:
            allowed = ", ".join(sorted(spec.amount_fields)) or "none"
            raise InvalidSignal(where, "amount_unknown", f"{kind} carries no amount {name!r} (allowed: {allowed})",
                                f"{spec.label_zh}不包含该金额（可填：{_zh(sorted(spec.amount_fields))}）")
        if isinstance(value, bool):
            raise InvalidSignal(where, "amount_not_number", "must be a number", "必须是数字")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise InvalidSignal(where, "amount_not_number", "must be a number", "必须是数字") from None
        if not number.is_finite() or number < 0:
            raise InvalidSignal(where, "amount_negative", "must be a finite number, not negative", "必须是非负数")
        if name in spec.shares and number > 1:
            raise InvalidSignal(where, "share_above_one", "a share is between 0 and 1", "比例必须在 0 到 1 之间")
        if name in spec.grades and (number != number.to_integral_value() or not 1 <= number <= 4):
            raise InvalidSignal(where, "disability_grade", "a disability grade is a whole number from 1 to 4",
                                "残疾等级必须是 1 到 4 的整数")
        if name in spec.positive and number == 0:
            raise InvalidSignal(where, "amount_zero", "must be above 0", "必须大于 0")
        amounts[name] = number
    for name in spec.all_of:
        if name not in amounts:
            raise InvalidSignal(f"amounts.{name}", "amount_required", f"{kind} needs amounts.{name}",
                                f"{spec.label_zh}必须提供{AMOUNT_ZH.get(name, '金额')}")
    if spec.any_of and not any(name in amounts for name in spec.any_of):
        raise InvalidSignal("amounts", "amount_required", f"{kind} needs one of {', '.join(spec.any_of)}",
                            f"{spec.label_zh}必须提供以下之一：{_zh(spec.any_of)}")
    return SignalAmounts(kind, amounts)
