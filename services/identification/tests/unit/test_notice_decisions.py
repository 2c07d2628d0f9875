"""Only what was on notice is decided: every programme set × notice completed or not × what the county grants.

The domain rules (transition, default_grant, plan_grant) are checked for every combination over a small programme
universe; a property test then drives the real use cases (handlers) on SQLite with random programme sets and checks
what was granted, what was published after the fact, and the notice period.
"""
from __future__ import annotations

import itertools
import json
import re
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from identification import handlers
from identification.domain.rules import PROGRAMMES, policy_rules
from identification.domain.workflow import (
    ACTION_NAMES_ZH,
    ACTIONS,
    STATE_NAMES_ZH,
    STATES,
    ConditionNotMet,
    IllegalTransition,
    default_grant,
    load_notice_policy,
    notice_period_days,
    plan_grant,
    transition,
)
from identification.models import Assessment, Case, Notice
from shared.auth import Principal
from shared.clock import FixedClock
from shared.envelope import decode
from shared.synthetic import HouseholdFactory

RULES = policy_rules().for_division("530102001001", date(2026, 3, 1))
POLICY = load_notice_policy()
BEFORE = POLICY.granted_before_notice
FILE = "530102-2026-000001"


def _subsets(items, empty=False):
    return [set(c) for r in range(0 if empty else 1, len(items) + 1) for c in itertools.combinations(items, r)]


def test_the_policy_lets_only_temporary_assistance_be_granted_before_notice():
    assert BEFORE == {"temporary"}
    assert POLICY.post_hoc_notice_days == 7 and POLICY.version


@pytest.mark.parametrize("bad,field", [
    ({"version": "x", "granted_before_notice": ["pension"], "post_hoc_notice_days": 7}, "granted_before_notice"),
    ({"version": "x", "granted_before_notice": "temporary", "post_hoc_notice_days": 7}, "granted_before_notice"),
    ({"version": "x", "granted_before_notice": [], "post_hoc_notice_days": 0}, "post_hoc_notice_days"),
    ({"version": "x", "granted_before_notice": [], "post_hoc_notice_days": 61}, "post_hoc_notice_days"),
    ({"version": "x", "granted_before_notice": [], "post_hoc_notice_days": True}, "post_hoc_notice_days"),
    ({"granted_before_notice": [], "post_hoc_notice_days": 7}, "version"),
    (["temporary"], "JSON object"),
])
def test_a_malformed_notice_policy_is_refused_naming_the_field(tmp_path, bad, field):
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(ValueError, match=field):
        load_notice_policy(path)
    with pytest.raises(ValueError, match="cannot read"):
        load_notice_policy(tmp_path / "missing.json")


# --- every combination (domain) ------------------------------------------------------------------------------------

UNIVERSE = ("dibao", "monitoring", "temporary")  # one 7-day, one 5-day and the 0-day programme granted before notice
ELIGIBLE = set(UNIVERSE)
NOTICE_SETS = _subsets(UNIVERSE)
REQUESTS = [None, *_subsets(UNIVERSE)]


def _decide(request, noticed):
    return transition("county_decision", "decide", outcome="approve", programmes=request, eligible=ELIGIBLE,
                      noticed=noticed, before_notice=BEFORE, file_number=FILE)


@pytest.mark.parametrize("on_notice", NOTICE_SETS, ids=lambda s: "+".join(sorted(s)))
@pytest.mark.parametrize("completed", [True, False], ids=["completed", "not_completed"])
@pytest.mark.parametrize("request_", REQUESTS, ids=lambda s: "default" if s is None else "+".join(sorted(s)))
def test_every_notice_and_grant_combination(on_notice, completed, request_):
    noticed = on_notice if completed else set()
    grantable = (noticed | BEFORE) & ELIGIBLE
    granted = default_grant(ELIGIBLE, noticed, BEFORE) if request_ is None else tuple(request_)
    if request_ is None:
        assert set(granted) == grantable
    if granted and set(granted) <= grantable:
        assert _decide(granted, noticed) == "enrolled"
        plan = plan_grant(granted, noticed)
        assert set(plan.granted) == set(granted)
        assert set(plan.on_notice) == set(granted) & noticed
        assert set(plan.post_hoc) == set(granted) - noticed and set(plan.post_hoc) <= BEFORE
    else:
        with pytest.raises(ConditionNotMet) as refused:
            _decide(granted, noticed)
        assert refused.value.code == ("no_programmes" if not granted else "not_on_notice")
        for programme in set(granted) - grantable:
            assert programme in refused.value.en  # the English names the programme by its code too
        assert not re.search(r"[A-Za-z_]{3,}", refused.value.zh)
    # the notice's period is the longest any programme on it requires
    assert notice_period_days(sorted(on_notice), RULES) == max(RULES.integer(p, "notice_days") for p in on_notice)


def test_the_reported_case_a_temporary_only_notice_grants_temporary_only():
    """Issue 7: a 0-day notice for temporary alone used to let the county enrol every eligible programme."""
    eligible = {"tekun", "dibao", "temporary", "medical"}
    noticed = {"temporary"}
    assert default_grant(eligible, noticed, BEFORE) == ("temporary",)
    for never_noticed in ("tekun", "dibao", "medical"):
        with pytest.raises(ConditionNotMet) as refused:
            transition("county_decision", "decide", outcome="approve", programmes=["temporary", never_noticed],
                       eligible=eligible, noticed=noticed, before_notice=BEFORE, file_number=FILE)
        assert refused.value.code == "not_on_notice" and never_noticed in refused.value.en


def test_a_programme_the_household_is_not_eligible_for_is_never_granted():
    with pytest.raises(ConditionNotMet) as refused:
        transition("county_decision", "decide", outcome="approve", programmes=["temporary"], eligible={"dibao"},
                   noticed={"dibao", "temporary"}, before_notice=BEFORE, file_number=FILE)
    assert refused.value.code == "not_eligible" and "临时救助" in refused.value.zh


def test_temporary_assistance_may_be_granted_with_no_notice_at_all_and_is_then_published():
    assert transition("county_decision", "decide", outcome="approve", programmes=["temporary"],
                      eligible={"temporary", "dibao"}, noticed=(), before_notice=BEFORE, file_number=FILE) == "enrolled"
    assert plan_grant(["temporary"], ()).post_hoc == ("temporary",)
    assert plan_grant(["temporary", "dibao"], {"dibao", "temporary"}).post_hoc == ()


@given(eligible=st.sets(st.sampled_from(PROGRAMMES), min_size=1), noticed=st.sets(st.sampled_from(PROGRAMMES)),
       before=st.sets(st.sampled_from(PROGRAMMES)),
       request_=st.none() | st.sets(st.sampled_from(PROGRAMMES), min_size=1))
def test_granted_is_within_what_was_noticed_or_allowed_before_notice(eligible, noticed, before, request_):
    granted = default_grant(eligible, noticed, before) if request_ is None else tuple(request_)
    try:
        state = transition("county_decision", "decide", outcome="approve", programmes=granted, eligible=eligible,
                           noticed=noticed, before_notice=before, file_number=FILE)
    except ConditionNotMet:
        assert not granted or not set(granted) <= eligible & (noticed | before)
        return
    assert state == "enrolled"
    plan = plan_grant(granted, noticed)
    assert set(plan.granted) <= (noticed & eligible) | (before & eligible)
    assert set(plan.post_hoc) == set(plan.granted) - noticed <= before


@given(st.sets(st.sampled_from(PROGRAMMES), min_size=1))
def test_the_notice_period_is_the_longest_required(programmes):
    assert notice_period_days(sorted(programmes), RULES) == max(RULES.integer(p, "notice_days") for p in programmes)


# --- messages in Chinese carry no English codes ---------------------------------------------------------------------

def test_every_state_and_action_has_a_chinese_name():
    assert set(STATE_NAMES_ZH) == set(STATES) and set(ACTION_NAMES_ZH) == set(ACTIONS)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", ACTIONS)
def test_an_illegal_step_is_explained_in_chinese_without_codes(state, action):
    try:
        transition(state, action)
    except IllegalTransition as error:
        assert error.zh and not re.search(r"[A-Za-z_]{3,}", error.zh), error.zh
        if not isinstance(error, ConditionNotMet):
            assert STATE_NAMES_ZH[state] in error.zh


# --- property over the real use cases (SQLite) ----------------------------------------------------------------------

START = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # a Monday, 09:00 in China
ADMIN = Principal("tester", "admin", "")


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    from identification.bootstrap import build_runtime
    from identification.config import Settings
    db = Path(tmp_path_factory.mktemp("identification")) / "identification.db"
    runtime = build_runtime(Settings(database_url=f"sqlite:///{db}", kafka_bootstrap="127.0.0.1:1"),
                            clock=FixedClock(START))
    runtime.migrate()
    return runtime


def _events(runtime, household_id: str) -> list[dict]:
    outbox = runtime.tables.outbox
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(outbox.c.payload).where(outbox.c.key == household_id)
                            .order_by(outbox.c.id)).scalars().all()
    return [decode(bytes(p)) for p in rows]


def _case_awaiting(runtime, eligible: set[str], state: str) -> Case:
    """A case whose latest assessment found ``eligible``, placed in ``state`` (the assessment itself is tested apart)."""
    factory = HouseholdFactory(7)
    event = factory.application_event(factory.application_body(division="530102001001", size=2),
                                      household_id=str(uuid.uuid4()))
    svc = runtime.services
    with runtime.session_factory() as s, s.begin():
        case = handlers.on_application_submitted(s, event, svc)
        assessment = Assessment(
            id=str(uuid.uuid4()), case_id=case.id, assessed_at=svc.clock.now(), assessed_by="tester",
            rule_version=RULES.version, emergency=False, authorisation={"authorised": True}, facts={}, dimensions=[],
            programmes=[], eligible=[p for p in PROGRAMMES if p in eligible],
            categories={"monitoring": "sudden"} if "monitoring" in eligible else {}, explanation_en="e",
            explanation_zh="e")
        s.add(assessment)
        case.assessment_id, case.status = assessment.id, state
        return case


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), eligible=st.sets(st.sampled_from(PROGRAMMES), min_size=1),
       route=st.sampled_from(["notice_completed", "no_notice", "notice_withdrawn_by_objection"]))
def test_the_use_cases_grant_only_what_completed_its_notice_or_is_published_after(runtime, data, eligible, route):
    svc, clock = runtime.services, runtime.services.clock
    clock.at = START
    proposed = data.draw(st.none() | st.sets(st.sampled_from(sorted(eligible)), min_size=1), label="proposed")
    request_ = data.draw(st.none() | st.sets(st.sampled_from(PROGRAMMES), min_size=1), label="granted")
    if route == "no_notice":
        case = _case_awaiting(runtime, eligible, "township_review")
    else:
        case = _case_awaiting(runtime, eligible, "awaiting_notice")
        with runtime.session_factory() as s, s.begin():
            _, notice = handlers.publish_notice(s, svc, ADMIN, case.id, None if proposed is None else sorted(proposed))
            on_notice = set(notice.programmes)
            assert on_notice == (eligible if proposed is None else proposed)
            assert notice.days == max(RULES.integer(p, "notice_days") for p in on_notice)
            assert notice.first_day <= notice.last_day
            notice_id, days = notice.id, notice.days
        if route == "notice_completed":
            clock.advance(days=days)
            with runtime.session_factory() as s, s.begin():
                handlers.close_notice(s, svc, ADMIN, case.id)
        else:
            with runtime.session_factory() as s, s.begin():
                objection = handlers.lodge_objection(s, svc, notice_id, grounds="家里新买了车", contact=None)
            with runtime.session_factory() as s, s.begin():
                handlers.resolve_objection(s, svc, ADMIN, case.id, objection.id, outcome="upheld", reason="属实")
                s.get(Case, case.id).status = "township_review"  # re-assessed and proposed for rejection since
    with runtime.session_factory() as s, s.begin():
        handlers.complete_township_review(s, svc, ADMIN, case.id, outcome=(
            "recommend_approval" if route == "notice_completed" else "recommend_rejection"), opinion="同意")
    noticed = on_notice if route == "notice_completed" else set()
    try:
        with runtime.session_factory() as s, s.begin():
            handlers.decide_case(s, svc, ADMIN, case.id, outcome="approve", reasons=None,
                                 programmes=None if request_ is None else sorted(request_))
    except ConditionNotMet as refused:
        allowed = eligible & (noticed | BEFORE)
        assert (request_ is None and not allowed) or (request_ is not None and not request_ <= allowed), refused
        assert not re.search(r"[A-Za-z_]{3,}", refused.zh)
        return
    with runtime.session_factory() as s:
        decided = s.get(Case, case.id)
        granted = set(decided.decision["programmes"])
        post_hoc_notices = s.execute(select(Notice).where(Notice.case_id == case.id, Notice.kind == "post_hoc")).scalars().all()
    assert decided.status == "enrolled" and granted
    assert granted <= (noticed & eligible) | (BEFORE & eligible)
    if request_ is None:
        assert granted == eligible & (noticed | BEFORE)
    events = _events(runtime, case.household_id)
    enrolled = [e for e in events if e["type"] == "identification.household.enrolled"]
    assert len(enrolled) == 1 and set(enrolled[0]["data"]["programmes"]) == granted
    assert set(enrolled[0]["data"]["categories"]) <= granted
    published_after = [e for e in events if e["type"] == "identification.notice.published" and e["data"].get("post_hoc")]
    if granted - noticed:
        assert len(post_hoc_notices) == 1 and set(post_hoc_notices[0].programmes) == granted - noticed
        assert len(published_after) == 1 and set(published_after[0]["data"]["programmes"]) == granted - noticed
        assert post_hoc_notices[0].status == "published"
    else:
        assert not post_hoc_notices and not published_after
    closed = [e for e in events if e["type"] == "identification.notice.closed"]
    expected_reason = {"notice_completed": ["period_ended"], "notice_withdrawn_by_objection": ["objection_upheld"],
                       "no_notice": []}[route]
    assert [e["data"]["reason"] for e in closed] == expected_reason
    for e in events:  # every timestamp carries an offset
        for key, value in e["data"].items():
            if key.endswith("_at"):
                assert datetime.fromisoformat(value).utcoffset() is not None, (e["type"], key, value)
