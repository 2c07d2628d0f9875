"""What the citizen is told at every step of the case (English and Chinese, dates as China dates), and when a clue's
verification visit is overdue. One test per event type identification publishes and discovery consumes."""
import re
from datetime import date, datetime, timezone

import pytest

from discovery.domain.lifecycle import (
    APPLICATION_STATUSES,
    CASE_STEPS,
    CLUE_STATUS_LABELS,
    CLUE_STATUSES,
    ROLE_LABELS,
    StatusFacts,
    clue_overdue,
    explain_application,
)

# 23:30 UTC on 1 June is already 2 June in China: the text must say 2 June.
LATE_EVENING_UTC = datetime(2026, 6, 1, 23, 30, tzinfo=timezone.utc)
CHINA_DAY = "2026-06-02"
HAN = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_CODE = re.compile(r"[a-z]+_[a-z_]+")  # e.g. in_notice, recommend_rejection: a code, not words


def told(status: str, **facts) -> tuple[str, str]:
    return explain_application(status, StatusFacts(at=LATE_EVENING_UTC, **facts))


def assert_bilingual(en: str, zh: str) -> None:
    assert en and zh and not HAN.search(en) and HAN.search(zh)
    assert not ENGLISH_CODE.search(zh), zh


# (the event identification publishes, what it carries, the step, words each language must contain)
EVENT_STEPS = [
    ("identification.case.opened", {}, "in_identification", "case was opened", "立案"),
    ("identification.case.linked", {}, "in_identification", "case was opened", "立案"),
    ("identification.assessment.started", {}, "assessing", "started checking", "开始入户核查"),
    ("identification.assessment.completed", {}, "assessed", "democratic review", "民主评议"),
    ("identification.review.completed(approve)", {"outcome": "approve"}, "reviewed", "proposed approval", "建议通过"),
    ("identification.review.completed(reject)", {"outcome": "reject"}, "reviewed", "did not propose approval", "未建议通过"),
    ("identification.objection.resolved(upheld)", {"cause": "objection_upheld"}, "assessing", "objection", "异议"),
    ("identification.notice.closed(period_ended)", {"reason": "period_ended"}, "notice_closed", "notice ended", "公示期满"),
    ("identification.notice.closed(case_withdrawn)", {"reason": "case_withdrawn"}, "notice_closed", "withdrawn", "撤回"),
    ("identification.case.township_reviewed(recommend_approval)", {"outcome": "recommend_approval"},
     "township_reviewed", "recommends approval", "建议批准"),
    ("identification.case.township_reviewed(recommend_rejection)", {"outcome": "recommend_rejection"},
     "township_reviewed", "recommends not approving", "建议不予批准"),
    ("identification.case.township_reviewed(return_for_assessment)", {"cause": "returned_by_township"},
     "assessing", "returned the case", "退回"),
    ("identification.household.enrolled", {"file_number": "F-9", "programmes": ["dibao"]}, "enrolled",
     "file number F-9", "最低生活保障"),
    ("identification.household.rejected", {"reasons": [{"code": "income", "en": "Income above the line",
                                                        "zh": "收入高于标准"}],
                                           "appeal": {"en": "Appeal within 60 days.", "zh": "可在60日内申请复议。"}},
     "rejected", "Income above the line", "收入高于标准"),
    ("identification.case.withdrawn", {}, "withdrawn", "withdrawn", "撤回"),  # its reason (staff's words): below
]


@pytest.mark.parametrize("event, facts, step, en_words, zh_words", EVENT_STEPS, ids=[e[0] for e in EVENT_STEPS])
def test_every_step_of_the_case_is_told_in_both_languages_with_its_china_date(event, facts, step, en_words, zh_words):
    en, zh = told(step, **facts)
    assert_bilingual(en, zh)
    assert en_words in en and zh_words in zh
    assert CHINA_DAY in en and CHINA_DAY in zh and "2026-06-01" not in en + zh


def test_the_steps_of_one_kind_with_different_outcomes_are_told_differently():
    assert told("reviewed", outcome="approve") != told("reviewed", outcome="reject")
    assert told("township_reviewed", outcome="recommend_approval") != told("township_reviewed",
                                                                             outcome="recommend_rejection")
    assert len({told("assessing"), told("assessing", cause="objection_upheld"),
                told("assessing", cause="returned_by_township")}) == 3
    assert told("notice_closed", reason="period_ended") != told("notice_closed", reason="case_withdrawn")


def test_the_notice_end_is_a_china_date():
    en, zh = explain_application("in_notice", StatusFacts(notice_ends_at=datetime(2026, 6, 8, 15, 59, 59,
                                                                                  tzinfo=timezone.utc),
                                                          programmes=["dibao", "temporary"]))
    assert "until 2026-06-08" in en and "至 2026-06-08 止" in zh and "临时救助" in zh
    en, zh = explain_application("in_notice", StatusFacts(notice_ends_at=datetime(2026, 6, 8, 16, tzinfo=timezone.utc)))
    assert "2026-06-09" in en and "2026-06-09" in zh  # midnight in China


def test_a_rejection_carries_every_reason_and_the_appeal_route():
    en, zh = told("rejected", reasons=[{"code": "a", "en": "Income above the line", "zh": "收入高于标准"},
                                        {"code": "b", "en": "A second property", "zh": "拥有第二套住房"}],
                  appeal={"en": "Appeal within 60 days.", "zh": "可在60日内申请复议。"})
    assert "Income above the line; A second property" in en and "60 days" in en
    assert "收入高于标准；拥有第二套住房" in zh and "复议" in zh


def test_a_withdrawal_says_the_case_ended_without_a_decision_and_not_that_it_is_on_notice():
    en, zh = told("withdrawn", reason="申请人主动撤回")
    assert "without a decision" in en and "apply again" in en and "notice" not in en.split("and")[0]
    assert "未作认定" in zh and "正在公示" not in zh and "申请人主动撤回" in zh


def test_without_a_date_the_text_still_reads():
    for step in CASE_STEPS:
        en, zh = explain_application(step)
        assert_bilingual(en, zh)
        assert " on ." not in en and "None" not in en + zh


@pytest.mark.parametrize("status", APPLICATION_STATUSES)
def test_every_application_status_has_distinct_words(status):
    others = {explain_application(s) for s in APPLICATION_STATUSES if s != status}
    assert explain_application(status) not in others


def test_status_and_role_names_have_chinese_labels():
    assert set(CLUE_STATUS_LABELS) == set(CLUE_STATUSES)
    for labels in (*CLUE_STATUS_LABELS.values(), *ROLE_LABELS.values()):
        assert_bilingual(*labels)


@pytest.mark.parametrize("status, due_on, today, overdue", [
    ("raised", date(2026, 6, 8), date(2026, 6, 8), False),  # the due date itself is still in time
    ("raised", date(2026, 6, 8), date(2026, 6, 9), True),  # the day after
    ("raised", date(2026, 6, 8), date(2026, 6, 7), False),
    ("raised", None, date(2026, 6, 9), False),  # no task (the household is enrolled)
    *[(s, date(2026, 6, 8), date(2026, 7, 1), False) for s in CLUE_STATUSES if s != "raised"],  # visited or settled
])
def test_a_clue_is_overdue_from_the_day_after_its_due_date_until_its_visit(status, due_on, today, overdue):
    assert clue_overdue(status, due_on, today) is overdue
