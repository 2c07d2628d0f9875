"""Consent per purpose: which decision counts on a date (the latest one in effect), as plain data."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

RULE_VERSION = "EX-CONSENT-2026.1"
DECISIONS = ("granted", "withdrawn")
METHODS = ("signed_form", "recorded_verbal", "electronic")


@dataclass(frozen=True)
class ConsentDecision:
    purpose: str
    decision: str  # granted | withdrawn
    effective_on: date
    recorded_at: str  # ISO timestamp: orders two decisions taking effect on the same day


@dataclass(frozen=True)
class ConsentState:
    """A household's consent decisions, every purpose; `withdrawn(purpose, on)` is what a projection asks."""

    decisions: tuple[ConsentDecision, ...] = ()

    def current(self, purpose: str, on: date) -> str | None:
        """The decision in effect on `on` for `purpose` (None: nothing recorded)."""
        inforce = [d for d in self.decisions if d.purpose == purpose and d.effective_on <= on]
        if not inforce:
            return None
        return max(inforce, key=lambda d: (d.effective_on, d.recorded_at)).decision

    def withdrawn(self, purpose: str, on: date) -> bool:
        return self.current(purpose, on) == "withdrawn"


NO_DECISIONS = ConsentState()
