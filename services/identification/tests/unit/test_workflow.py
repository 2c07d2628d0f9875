"""The statutory workflow: every state × action pair, every guard, the public notice and its masking, and outcomes."""
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from identification.domain.eligibility import PROGRAMME_NAMES, Reason
from identification.domain.rules import PROGRAMMES, policy_rules
from identification.domain.workflow import (
    ACTIONS,
    STATES,
    TERMINAL_STATES,
    ConditionNotMet,
    IllegalTransition,
    NoticePeriod,
    allowed_actions,
    household_file_number,
    mask_for_notice,
    mask_name,
    notice_period,
    notice_period_days,
    rejection_notice,
    transition,
)

RULES = policy_rules().for_division("530102001001", date(2026, 3, 1))
LAST_DAY = date(2026, 3, 8)
AFTER_NOTICE = date(2026, 3, 9)
ID_NUMBER = "11010519491231002X"

# Every legal (state, action) with a context that satisfies its guards, and the state it leads to.
LEGAL = {
    ("opened", "start_assessment"): ({}, "field_assessment"),
    ("field_assessment", "complete_assessment"): ({"authorised": True}, "democratic_review"),
    ("democratic_review", "complete_review"): (
        {"attendees": 9, "opinions": ["agree: income verified"], "outcome": "propose_approval"}, "awaiting_notice"),
    ("awaiting_notice", "publish_notice"): ({"programmes": ("dibao", "medical")}, "public_notice"),
    ("public_notice", "lodge_objection"): ({"grounds": "the household runs a shop"}, "public_notice"),
    ("public_notice", "resolve_objection"): ({"open_objections": 1, "outcome": "dismissed"}, "public_notice"),
    ("public_notice", "close_notice"): (
        {"now": AFTER_NOTICE, "notice_last_day": LAST_DAY, "open_objections": 0}, "township_review"),
    ("township_review", "complete_township_review"): (
        {"outcome": "recommend_approval", "notice_held": True}, "county_decision"),
    ("county_decision", "decide"): (
        {"outcome": "approve", "programmes": ["dibao"], "eligible": ["dibao"], "noticed": ["dibao"],
         "file_number": "530102001001-2026-000001"}, "enrolled"),
    **{(state, "withdraw"): ({}, "withdrawn") for state in STATES if state not in TERMINAL_STATES},
}
PAIRS = [(state, action) for state in STATES for action in ACTIONS]
# A context that would satisfy each action's guards, so an illegal pair fails on the state alone.
VALID_CONTEXT = {action: context for (_state, action), (context, _next) in LEGAL.items()}


@pytest.mark.parametrize("state,action", PAIRS)
def test_every_state_and_action_pair(state, action):
    if (state, action) in LEGAL:
        context, expected = LEGAL[(state, action)]
        assert transition(state, action, **context) == expected
        assert action in allowed_actions(state)
    else:
        assert action not in allowed_actions(state)
        with pytest.raises(IllegalTransition) as exc:
            transition(state, action, **VALID_CONTEXT[action])
        assert not isinstance(exc.value, ConditionNotMet)
        assert (exc.value.state, exc.value.action, exc.value.allowed) == (state, action, allowed_actions(state))
        for allowed in allowed_actions(state):
            assert allowed in str(exc.value)


def test_the_allowed_actions_of_each_state():
    assert {state: allowed_actions(state) for state in STATES} == {
        "opened": ("start_assessment", "withdraw"),
        "field_assessment": ("complete_assessment", "withdraw"),
        "democratic_review": ("complete_review", "withdraw"),
        "awaiting_notice": ("publish_notice", "withdraw"),
        "public_notice": ("lodge_objection", "resolve_objection", "close_notice", "withdraw"),
        "township_review": ("complete_township_review", "withdraw"),
        "county_decision": ("decide", "withdraw"),
        "enrolled": (), "rejected": (), "withdrawn": (),
    }


def test_a_closed_case_says_no_action_is_left():
    with pytest.raises(IllegalTransition, match=r"allowed next actions: none \(the case is closed\)"):
        transition("enrolled", "withdraw")


def test_an_unknown_state_or_action_is_refused():
    with pytest.raises(ValueError, match="unknown state 'lost'"):
        transition("lost", "start_assessment")
    with pytest.raises(ValueError, match="unknown state"):
        allowed_actions("lost")
    with pytest.raises(IllegalTransition, match="allowed next actions: start_assessment, withdraw"):
        transition("opened", "fly")


@pytest.mark.parametrize("state,action,context,expected", [
    ("democratic_review", "complete_review",
     {"attendees": ["village head", "villager rep"], "opinions": ["income above line"], "outcome": "propose_rejection"},
     "township_review"),
    ("public_notice", "resolve_objection", {"open_objections": 2, "outcome": "upheld"}, "field_assessment"),
    ("township_review", "complete_township_review", {"outcome": "recommend_rejection"}, "county_decision"),
    ("township_review", "complete_township_review", {"outcome": "return_for_assessment"}, "field_assessment"),
    ("county_decision", "decide", {"outcome": "reject", "reasons": ["income above the standard"]}, "rejected"),
])
def test_every_branching_outcome(state, action, context, expected):
    assert transition(state, action, **context) == expected


def test_a_whole_case_with_an_objection_that_reopens_the_investigation():
    state = "opened"
    state = transition(state, "start_assessment")
    state = transition(state, "complete_assessment", authorised=True)
    state = transition(state, "complete_review", attendees=7, opinions=["agree"], outcome="propose_approval")
    state = transition(state, "publish_notice", programmes=["monitoring"])
    state = transition(state, "lodge_objection", grounds="they own a second house")
    state = transition(state, "resolve_objection", open_objections=1, outcome="upheld")
    assert state == "field_assessment"
    state = transition(state, "complete_assessment", authorised=True)
    state = transition(state, "complete_review", attendees=7, opinions=["agree"], outcome="propose_approval")
    state = transition(state, "publish_notice", programmes=["monitoring"])
    state = transition(state, "close_notice", now=AFTER_NOTICE, notice_last_day=LAST_DAY, open_objections=0)
    state = transition(state, "complete_township_review", outcome="recommend_approval", notice_held=True)
    state = transition(state, "decide", outcome="approve", programmes=["monitoring"], eligible=["monitoring"],
                       noticed=["monitoring"], file_number=household_file_number("530102001001", 2026, 42))
    assert state == "enrolled"


@pytest.mark.parametrize("state,action,context,code", [
    ("field_assessment", "complete_assessment", {}, "missing_authorised"),
    ("field_assessment", "complete_assessment", {"authorised": False}, "authorisation_missing"),
    ("field_assessment", "complete_assessment", {"authorised": "yes"}, "authorisation_missing"),
    ("democratic_review", "complete_review", {"attendees": 0, "opinions": ["x"], "outcome": "propose_approval"},
     "no_attendees"),
    ("democratic_review", "complete_review", {"attendees": [], "opinions": ["x"], "outcome": "propose_approval"},
     "no_attendees"),
    ("democratic_review", "complete_review", {"attendees": 5, "opinions": [], "outcome": "propose_approval"},
     "no_opinions"),
    ("democratic_review", "complete_review", {"attendees": 5, "opinions": "fine", "outcome": "propose_approval"},
     "no_opinions"),
    ("democratic_review", "complete_review", {"attendees": 5, "opinions": ["x"], "outcome": "maybe"},
     "unknown_outcome"),
    ("democratic_review", "complete_review", {"attendees": 5, "opinions": ["x"]}, "missing_outcome"),
    ("awaiting_notice", "publish_notice", {"programmes": []}, "no_programmes"),
    ("awaiting_notice", "publish_notice", {"programmes": "dibao"}, "no_programmes"),
    ("awaiting_notice", "publish_notice", {"programmes": ["dibao", "pension"]}, "unknown_programme"),
    ("public_notice", "lodge_objection", {"grounds": "  "}, "no_grounds"),
    ("public_notice", "resolve_objection", {"open_objections": 0, "outcome": "dismissed"}, "no_open_objection"),
    ("public_notice", "resolve_objection", {"open_objections": 1, "outcome": "ignored"}, "unknown_outcome"),
    ("public_notice", "resolve_objection", {"open_objections": -1, "outcome": "upheld"}, "bad_open_objections"),
    ("public_notice", "close_notice", {"now": LAST_DAY, "notice_last_day": LAST_DAY, "open_objections": 0},
     "notice_running"),
    ("public_notice", "close_notice", {"now": AFTER_NOTICE, "notice_last_day": LAST_DAY, "open_objections": 1},
     "objections_open"),
    ("public_notice", "close_notice", {"now": AFTER_NOTICE, "notice_last_day": LAST_DAY}, "missing_open_objections"),
    ("public_notice", "close_notice", {"notice_last_day": LAST_DAY, "open_objections": 0}, "missing_now"),
    ("public_notice", "close_notice", {"now": "tomorrow", "notice_last_day": LAST_DAY, "open_objections": 0},
     "bad_dates"),
    ("township_review", "complete_township_review", {"outcome": "recommend_approval"}, "notice_not_held"),
    ("township_review", "complete_township_review", {"outcome": "approve"}, "unknown_outcome"),
    ("county_decision", "decide", {"outcome": "approve", "eligible": ["dibao"], "noticed": ["dibao"],
                                   "file_number": "F-1"}, "missing_programmes"),
    ("county_decision", "decide", {"outcome": "approve", "programmes": [], "eligible": ["dibao"], "noticed": ["dibao"],
                                   "file_number": "F-1"}, "no_programmes"),
    ("county_decision", "decide", {"outcome": "approve", "programmes": ["dibao"], "noticed": ["dibao"],
                                   "file_number": "F-1"}, "missing_eligible"),
    ("county_decision", "decide", {"outcome": "approve", "programmes": ["dibao"], "eligible": "dibao",
                                   "noticed": ["dibao"], "file_number": "F-1"}, "bad_eligible"),
    ("county_decision", "decide", {"outcome": "approve", "programmes": ["dibao"], "eligible": ["dibao"],
                                   "file_number": "F-1"}, "not_on_notice"),
    ("county_decision", "decide", {"outcome": "approve", "programmes": ["tekun"], "eligible": ["dibao"],
                                   "noticed": ["tekun"], "file_number": "F-1"}, "not_eligible"),
    ("county_decision", "decide", {"outcome": "approve", "programmes": ["dibao"], "eligible": ["dibao"],
                                   "noticed": ["dibao"]}, "missing_file_number"),
    ("county_decision", "decide", {"outcome": "approve", "programmes": ["dibao"], "eligible": ["dibao"],
                                   "noticed": ["dibao"], "file_number": " "}, "no_file_number"),
    ("county_decision", "decide", {"outcome": "reject"}, "missing_reasons"),
    ("county_decision", "decide", {"outcome": "reject", "reasons": []}, "no_reasons"),
    ("county_decision", "decide", {"outcome": "defer"}, "unknown_outcome"),
])
def test_every_guard_refuses_with_a_code_and_both_languages(state, action, context, code):
    with pytest.raises(ConditionNotMet) as exc:
        transition(state, action, **context)
    error = exc.value
    assert error.code == code and error.en and error.zh
    assert isinstance(error, IllegalTransition) and error.allowed == allowed_actions(state)
    assert "allowed next actions" in str(error)


def test_the_notice_closes_only_after_its_last_day_in_china_time():
    context = {"notice_last_day": LAST_DAY, "open_objections": 0}
    # Midnight in China is 16:00 UTC the day before.
    just_before = datetime(2026, 3, 8, 15, 59, tzinfo=timezone.utc)
    just_after = datetime(2026, 3, 8, 16, 0, tzinfo=timezone.utc)
    with pytest.raises(ConditionNotMet, match="runs until 2026-03-08"):
        transition("public_notice", "close_notice", now=just_before, **context)
    assert transition("public_notice", "close_notice", now=just_after, **context) == "township_review"


# --- the public notice -----------------------------------------------------------------------------------------

def test_notice_days_come_from_the_rules_and_the_longest_applies():
    assert notice_period_days(["dibao"], RULES) == 7
    assert notice_period_days(["monitoring"], RULES) == 5
    assert notice_period_days(["monitoring", "dibao"], RULES) == 7
    for programme in PROGRAMMES:
        assert notice_period_days([programme], RULES) == RULES.integer(programme, "notice_days")
    assert notice_period_days(list(PROGRAMMES), RULES) == max(RULES.integer(p, "notice_days") for p in PROGRAMMES)
    with pytest.raises(ValueError):
        notice_period_days([], RULES)
    with pytest.raises(ValueError, match="pension"):
        notice_period_days(["pension"], RULES)


def test_a_seven_day_notice_includes_its_publication_day():
    period = notice_period(date(2026, 3, 2), ["dibao", "monitoring"], RULES)
    assert period == NoticePeriod(date(2026, 3, 2), LAST_DAY, 7)
    assert not period.has_ended(LAST_DAY) and period.has_ended(AFTER_NOTICE)
    assert not period.has_ended(datetime(2026, 3, 8, 15, 59, tzinfo=timezone.utc))
    monitoring = notice_period(date(2026, 3, 2), ["monitoring"], RULES)
    assert monitoring.last_day == date(2026, 3, 6)


def test_temporary_assistance_alone_needs_no_waiting():
    period = notice_period(date(2026, 3, 2), ["temporary"], RULES)
    assert period.days == 0 and period.has_ended(date(2026, 3, 2))
    assert period.first_day == period.last_day == date(2026, 3, 2)  # never an end before the start
    published = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)
    assert period.ends_at(published) == published
    # A 0-day notice may close on the day it is published.
    assert transition("public_notice", "close_notice", now=date(2026, 3, 2), notice_last_day=period.last_day,
                      notice_days=0, open_objections=0) == "township_review"
    with pytest.raises(ConditionNotMet, match="objection"):
        transition("public_notice", "close_notice", now=date(2026, 3, 2), notice_last_day=period.last_day,
                   notice_days=0, open_objections=1)


def test_a_notice_ends_at_midnight_china_time_after_its_last_day():
    period = notice_period(date(2026, 3, 2), ["dibao"], RULES)
    ends = period.ends_at(datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc))
    assert ends == datetime(2026, 3, 8, 16, 0, tzinfo=timezone.utc) and ends.utcoffset().total_seconds() == 0


def test_a_zero_day_notice_never_prints_an_end_before_its_start():
    period = notice_period(date(2026, 3, 2), ["temporary"], RULES)
    entry = mask_for_notice(head_name="王五", village="小寨村", household_size=2, programmes=["temporary"],
                            period=period)
    assert "2026-03-01" not in entry.text_en + entry.text_zh
    assert " to " not in entry.text_en.split("Published on")[1] and "至" not in entry.text_zh.split("公示日期")[1]
    assert "Published on 2026-03-02" in entry.text_en and "公示日期：2026-03-02" in entry.text_zh
    assert "no notice period is required" in entry.text_en and "无需等待公示期" in entry.text_zh


def test_a_post_hoc_notice_says_the_assistance_was_granted_first():
    period = NoticePeriod(date(2026, 3, 9), date(2026, 3, 15), 7)
    entry = mask_for_notice(head_name="王五", village="小寨村", household_size=2, programmes=["temporary"],
                            period=period, post_hoc=True)
    assert "has been granted" in entry.text_en and "已先行给予" in entry.text_zh
    assert "先行救助，事后公示，公示至2026-03-15" in entry.text_zh and "until 2026-03-15" in entry.text_en
    assert "proposed" not in entry.text_en and "拟纳入" not in entry.text_zh


@pytest.mark.parametrize("name,masked", [
    ("张三", "张*"), ("张小三", "张*三"), ("欧阳小明", "欧**明"), ("张", "*"), (" 李 四 ", "李*"), ("", "*"),
    ("阿依古丽·买买提", "阿******提")])
def test_names_keep_only_their_first_and_last_characters(name, masked):
    assert mask_name(name) == masked


def test_the_notice_shows_only_masked_name_village_size_and_programmes():
    entry = mask_for_notice(head_name="张小三", village="大河村", household_size=4,
                            programmes=["medical", "dibao", "monitoring"],
                            period=NoticePeriod(date(2026, 3, 2), LAST_DAY, 7),
                            id_number=ID_NUMBER, per_capita_monthly_income_yuan=Decimal("412.37"),
                            health_details="尿毒症, weekly dialysis")
    published = entry.text_en + entry.text_zh + entry.masked_name + entry.village
    for secret in (ID_NUMBER, "19491231", "412.37", "412", "尿毒症", "dialysis", "张小三"):
        assert secret not in published
    assert entry.masked_name == "张*三" and entry.village == "大河村" and entry.household_size == 4
    assert entry.programmes == ("dibao", "monitoring", "medical")
    assert entry.income_band_en is None and entry.income_band_zh is None
    for programme in entry.programmes:
        assert PROGRAMME_NAMES[programme][0] in entry.text_en and PROGRAMME_NAMES[programme][1] in entry.text_zh
    assert "4 member(s)" in entry.text_en and "家庭人口4人" in entry.text_zh
    assert "2026-03-02 to 2026-03-08" in entry.text_en and "2026-03-02至2026-03-08" in entry.text_zh
    # A monitoring category would reveal the household's hardship.
    assert "sudden" not in entry.text_en and "突发" not in entry.text_zh


def test_an_income_band_may_replace_the_exact_income():
    entry = mask_for_notice(head_name="王五", village="小寨村", household_size=2, programmes=["near_dibao"],
                            per_capita_monthly_income_yuan=Decimal("612.40"), income_band_width_yuan=Decimal(500))
    assert entry.income_band_en == "¥500.00 to ¥1,000.00 per person a month"
    assert entry.income_band_zh == "月人均500.00元至1000.00元"
    assert "612" not in entry.text_en + entry.text_zh and "¥500.00 to ¥1,000.00" in entry.text_en
    with pytest.raises(ValueError, match="positive"):
        mask_for_notice(head_name="王五", village="小寨村", household_size=2, programmes=["near_dibao"],
                        per_capita_monthly_income_yuan=Decimal("612.40"), income_band_width_yuan=Decimal(0))


def test_an_id_or_mobile_number_typed_into_the_name_or_village_is_removed():
    old_id = "110105491231002"
    entry = mask_for_notice(head_name=f"李四{ID_NUMBER}", village=f"大河村 {old_id} 13912345678", household_size=1,
                            programmes=["dibao"], id_number=ID_NUMBER)
    assert entry.masked_name == "李*" and entry.village == "大河村"
    published = entry.text_en + entry.text_zh
    assert ID_NUMBER not in published and old_id not in published and "13912345678" not in published


def test_a_division_code_given_as_the_village_is_kept():
    for code in ("530102001001", "110105001001", "530102"):  # 110105001001 starts like a mobile number
        entry = mask_for_notice(head_name="李四", village=code, household_size=3, programmes=["dibao"])
        assert entry.village == code and code in entry.text_en


def test_the_notice_refuses_to_publish_protected_data_it_cannot_remove():
    with pytest.raises(ValueError, match="protected data"):
        mask_for_notice(head_name="赵六", village="肺结核村", household_size=1, programmes=["medical"],
                        health_details="肺结核")
    with pytest.raises(ValueError, match="household_size"):
        mask_for_notice(head_name="赵六", village="村", household_size=0, programmes=["medical"])
    with pytest.raises(ValueError, match="at least one programme"):
        mask_for_notice(head_name="赵六", village="村", household_size=1, programmes=[])


# --- outcomes --------------------------------------------------------------------------------------------------

def test_household_file_numbers():
    assert household_file_number("530102001001", 2026, 7) == "530102001001-2026-000007"
    for bad in (("53010200100A", 2026, 1), ("530102001001", 2026, 0), ("530102001001", 2026, 1_000_000)):
        with pytest.raises(ValueError):
            household_file_number(*bad)


def test_a_rejection_gives_the_reasons_and_the_appeal_deadlines_from_the_rules():
    reasons = [Reason("income_below_standard", False, "Per-capita income ¥700.00 is not below ¥600.00.",
                      "月人均收入700.00元，未低于600.00元。")]
    notice = rejection_notice(reasons, date(2026, 3, 31), RULES)
    assert RULES.integer("appeal", "reconsideration_days") == 60 and RULES.integer("appeal", "litigation_months") == 6
    assert notice.reconsideration_by == date(2026, 5, 30)
    assert notice.litigation_by == date(2026, 9, 30)
    assert "¥700.00" in notice.text_en and "60 days (by 2026-05-30)" in notice.text_en
    assert "6 months (by 2026-09-30)" in notice.text_en
    assert "700.00元" in notice.text_zh and "行政复议" in notice.text_zh and "行政诉讼" in notice.text_zh
    assert notice.reasons_en == (reasons[0].en,)


def test_six_months_after_the_end_of_a_long_month_is_the_end_of_a_short_one():
    reasons = [Reason("x", False, "x.", "x。")]
    assert rejection_notice(reasons, date(2026, 8, 31), RULES).litigation_by == date(2027, 2, 28)
    assert rejection_notice(reasons, date(2027, 8, 31), RULES).litigation_by == date(2028, 2, 29)
    with pytest.raises(ValueError):
        rejection_notice([], date(2026, 8, 31), RULES)
