"""What each state-changing entry point publishes, declared where it is defined so a contract test can check it.

Routes: `@router.post(..., openapi_extra=route_emits("identification.case.withdrawn"))` puts `x-emits` in the
OpenAPI. A non-GET route that changes no state says why: `route_emits(none="stateless eligibility check")`.
Consumer handlers and periodic jobs: `@emits("discovery.household.updated")` or `@emits(none="...")`.
"""
from __future__ import annotations

from typing import Callable


def route_emits(*event_types: str, none: str | None = None) -> dict:
    if bool(event_types) == bool(none):
        raise ValueError("declare the event types a route emits, or (only) the reason it changes no state")
    extra: dict = {"x-emits": list(event_types)}
    if none:
        extra["x-no-state-change"] = none
    return extra


def emits(*event_types: str, none: str | None = None) -> Callable:
    if bool(event_types) == bool(none):
        raise ValueError("declare the event types a handler emits, or (only) the reason it changes no state")

    def mark(fn: Callable) -> Callable:
        fn.__emits__ = tuple(event_types)
        fn.__no_state_change__ = none
        return fn
    return mark
