"""The place for identification and exit accuracy from the sampling audits (oversight/sampling/, another part of
issue 11). Until that part provides them, no accuracy KPI is reported: there is no value to show, and none is made up.
The sampling part registers a function (session, area prefix, Period) -> list[dict in the KPI item shape]."""
from __future__ import annotations

from typing import Callable

SAMPLED_ACCURACY: list[Callable] = []


def accuracy_items(session, area: str, period) -> list[dict]:
    return [item for source in SAMPLED_ACCURACY for item in source(session, area, period)]
