"""The statutory deadlines of a petition (信访工作条例, 2022, arts. 31-36), as pure functions over dates.

The defaults live here, not in the policy document: the petition deadlines are national law, the same in every
region, and no service reads them but oversight (see the README, "Petitions"). Days are calendar days (日), counted
from the day after the event, as the regulation counts them: a petition filed on 1 June must be decided on or before
16 June (day 15); the reply is due 60 days after the acceptance, 90 after one extension.

- acceptance: decide within ``acceptance_days`` (15) of filing whether the petition is accepted (受理) or declined;
- reply: give the written reply within ``reply_days`` (60) of acceptance;
- extension: once (``max_extensions``), by at most ``extension_days`` (30), with a reason, before the reply is late.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class DeadlineRules:
    version: str
    acceptance_days: int
    reply_days: int
    extension_days: int
    max_extensions: int


XINFANG_2022 = DeadlineRules(version="xinfang-2022", acceptance_days=15, reply_days=60, extension_days=30,
                             max_extensions=1)


class ExtensionRefused(ValueError):
    """An extension the rules do not allow; ``rule`` says which rule it breaks."""

    def __init__(self, rule: str, en: str, zh: str):
        self.rule, self.en, self.zh = rule, en, zh
        super().__init__(en)


def acceptance_due(filed_on: date, rules: DeadlineRules = XINFANG_2022) -> date:
    """The last day to decide whether the petition is accepted."""
    return filed_on + timedelta(days=rules.acceptance_days)


def reply_due(accepted_on: date, extensions: int = 0, rules: DeadlineRules = XINFANG_2022) -> date:
    """The last day to reply, with the extensions granted so far."""
    return accepted_on + timedelta(days=rules.reply_days + extensions * rules.extension_days)


def on_time(done_on: date, due_on: date) -> bool:
    return done_on <= due_on


def overdue(today: date, due_on: date) -> bool:
    """Late from the day after the last day."""
    return today > due_on


def extended_due(current_due: date, today: date, extensions: int, rules: DeadlineRules = XINFANG_2022) -> date:
    """The reply's new last day after one more extension; refused after the last allowed one or once late."""
    if extensions >= rules.max_extensions:
        raise ExtensionRefused("extension_once_only",
                               f"the reply deadline may be extended {rules.max_extensions} time(s) only",
                               f"答复期限只能延长{rules.max_extensions}次")
    if overdue(today, current_due):
        raise ExtensionRefused("extension_after_deadline", "the reply deadline has already passed; an extension "
                               "must be decided before it", "答复期限已届满，延长须在期限届满前决定")
    return current_due + timedelta(days=rules.extension_days)
