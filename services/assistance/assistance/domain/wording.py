"""How amounts, shares and scores are written in explanations, in English and Chinese."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def money(value: Decimal | int) -> Decimal:
    """An amount in yuan rounded to the cent, half up (how payments are rounded)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def yuan(value: Decimal | int) -> str:
    amount = money(value)
    text = f"{amount:,.2f}".removesuffix(".00")
    return f"¥{text}"


def yuan_zh(value: Decimal | int) -> str:
    amount = money(value)
    return f"{str(amount).removesuffix('.00')}元"


def score(value: Decimal | int) -> str:
    """A score of 0-100 with at most two decimals, trailing zeros dropped (72.5, 40)."""
    text = f"{Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)}"
    return text.rstrip("0").rstrip(".") if "." in text else text
