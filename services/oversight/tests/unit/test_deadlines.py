"""The statutory deadlines (信访工作条例): the boundaries of acceptance, reply and the one extension."""
from datetime import date

import pytest

from oversight.domain import deadlines as d

FILED = date(2026, 6, 1)


def test_acceptance_is_due_on_day_15_and_late_on_day_16():
    due = d.acceptance_due(FILED)
    assert due == date(2026, 6, 16)
    assert d.on_time(date(2026, 6, 16), due) and not d.overdue(date(2026, 6, 16), due)
    assert not d.on_time(date(2026, 6, 17), due) and d.overdue(date(2026, 6, 17), due)


def test_reply_is_due_on_day_60_after_acceptance_and_late_on_day_61():
    accepted = date(2026, 6, 10)
    due = d.reply_due(accepted)
    assert due == date(2026, 8, 9)
    assert (due - accepted).days == 60
    assert d.on_time(due, due) and d.overdue(date(2026, 8, 10), due)


def test_one_extension_adds_30_days():
    due = d.reply_due(date(2026, 6, 10))
    extended = d.extended_due(due, today=due, extensions=0)
    assert (extended - due).days == 30
    assert extended == d.reply_due(date(2026, 6, 10), extensions=1)


def test_a_second_extension_is_refused():
    due = d.reply_due(date(2026, 6, 10), extensions=1)
    with pytest.raises(d.ExtensionRefused) as refused:
        d.extended_due(due, today=date(2026, 6, 11), extensions=1)
    assert refused.value.rule == "extension_once_only"
    assert "1次" in refused.value.zh


def test_an_extension_after_the_deadline_is_refused_but_on_its_last_day_allowed():
    due = d.reply_due(date(2026, 6, 10))
    assert d.extended_due(due, today=due, extensions=0)
    with pytest.raises(d.ExtensionRefused) as refused:
        d.extended_due(due, today=date(2026, 8, 10), extensions=0)
    assert refused.value.rule == "extension_after_deadline"


def test_the_defaults_are_the_regulations_and_cited_by_version():
    rules = d.XINFANG_2022
    assert (rules.acceptance_days, rules.reply_days, rules.extension_days, rules.max_extensions) == (15, 60, 30, 1)
    assert rules.version == "xinfang-2022"
