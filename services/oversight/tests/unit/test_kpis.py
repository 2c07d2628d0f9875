"""Every KPI function at its edges: no facts, one fact, the boundaries of the period and of "within the deadline"
(China dates), nearest-rank percentiles on small n, relapse windows only once they have fully passed."""
from datetime import date, datetime, timezone

import pytest

from oversight.kpis import compute as k
from oversight.kpis.compute import Fact, Period

P = Period(date(2026, 11, 1), date(2026, 11, 30))
NOW = datetime(2029, 1, 1, tzinfo=timezone.utc)


def f(kind, hh="h1", **attrs):
    return Fact(kind, attrs.pop("id", kind + hh + str(sorted(attrs.items()))), "530102001001", attrs, hh)


def values(kpis):
    return {x.key: (x.value, x.n) for x in kpis}


def test_percentile_is_nearest_rank():
    assert k.percentile([], 50) is None
    assert k.percentile([7], 50) == 7 and k.percentile([7], 90) == 7
    assert k.percentile([1, 2], 50) == 1  # lower middle for an even n
    assert k.percentile([3, 1, 2], 50) == 2
    assert k.percentile(range(1, 11), 90) == 9 and k.percentile(range(1, 11), 91) == 10
    assert k.percentile([5, 1], 100) == 5
    with pytest.raises(ValueError):
        k.percentile([1], 0)


def test_the_period_is_china_dates_both_ends_included():
    assert P.contains("2026-10-31T16:00:00Z")  # 00:00 on 1 November in China
    assert not P.contains("2026-10-31T15:59:59Z")
    assert P.contains("2026-11-30T15:59:59Z") and not P.contains("2026-11-30T16:00:00Z")
    assert not P.contains(None)


def test_every_kpi_of_no_facts_is_null_or_zero_with_n_zero():
    for item in k.all_kpis([], P, NOW):
        assert item.n == 0
        assert item.value in (None, 0)
        assert (item.value is None) == (k.LABELS[item.key][2] in ("share", "days", "rating"))
    assert [i.key for i in k.all_kpis([], P, NOW)] == list(k.KEYS)


def test_time_to_decision_and_the_deadline_boundary():
    one = f("case", opened_at="2026-11-01T00:00:00Z", decided_at="2026-11-03T12:00:00Z", deadline="2026-11-03")
    assert values(k.time_to_decision([one], P)) == {"time_to_decision_median_days": (2.5, 1),
                                                    "time_to_decision_p90_days": (2.5, 1),
                                                    "decided_within_deadline_share": (1.0, 1)}
    # decided at 00:30 China time the day after the deadline: late; 23:59 China on the deadline day: on time
    late = f("case", hh="h2", opened_at="2026-11-01T00:00:00Z", decided_at="2026-11-03T16:30:00Z",
             deadline="2026-11-03")
    ontime = f("case", hh="h3", opened_at="2026-11-01T00:00:00Z", decided_at="2026-11-03T15:59:00Z",
               deadline="2026-11-03")
    assert values(k.time_to_decision([late, ontime], P))["decided_within_deadline_share"] == (0.5, 2)
    outside = f("case", hh="h4", opened_at="2026-10-01T00:00:00Z", decided_at="2026-12-01T00:00:00Z")
    undecided = f("case", hh="h5", opened_at="2026-11-01T00:00:00Z")
    assert values(k.time_to_decision([outside, undecided], P))["time_to_decision_median_days"] == (None, 0)


def test_overdue_now_counts_open_overdue_cases_only():
    cases = [f("case", hh="a", overdue_at="x"), f("case", hh="b", overdue_at="x", decided_at="2026-01-01T00:00:00Z"),
             f("case", hh="c", overdue_at="x", withdrawn_at="y"), f("case", hh="d")]
    assert k.overdue_cases_now(cases).value == 1


def test_active_discovery_and_clue_conversion():
    cases = [f("case", hh="a", opened_at="2026-11-02T00:00:00Z", source_type="referral"),
             f("case", hh="b", opened_at="2026-11-02T00:00:00Z", source_type="application"),
             f("case", hh="c", opened_at="2026-12-02T00:00:00Z", source_type="referral")]
    assert k.active_discovery_share(cases, P).value == 0.5 and k.active_discovery_share(cases, P).n == 2
    clues = [f("clue", hh="a", raised_at="2026-11-02T00:00:00Z", referred_at="2026-12-05T00:00:00Z"),
             f("clue", hh="b", raised_at="2026-11-02T00:00:00Z", dismissed_at="2026-11-05T00:00:00Z"),
             f("clue", hh="c", raised_at="2026-11-02T00:00:00Z"), f("clue", hh="d", raised_at="2026-10-02T00:00:00Z")]
    assert (k.clue_conversion_rate(clues, P).value, k.clue_conversion_rate(clues, P).n) == (pytest.approx(1 / 3,
                                                                                                           abs=1e-4), 3)
    assert k.clue_conversion_rate([], P).value is None


def test_objections_and_reversals():
    objs = [f("objection", hh="a", lodged_at="2026-11-02T00:00:00Z", resolved_at="2026-11-04T00:00:00Z", upheld=True),
            f("objection", hh="b", lodged_at="2026-11-02T00:00:00Z", resolved_at="2026-12-04T00:00:00Z", upheld=False),
            f("objection", hh="c", lodged_at="2026-10-02T00:00:00Z", resolved_at="2026-11-03T00:00:00Z", upheld=False)]
    assert values(k.objections(objs, P)) == {"objections_lodged": (2, 2), "objections_upheld_share": (0.5, 2)}
    d = "2026-11-10T00:00:00Z"
    cases = [f("case", hh="a", decided_at=d, review_outcome="approve", township_outcome="recommend_approval",
               decision="identified"),  # 2 steps, none reversed
             f("case", hh="b", decided_at=d, review_outcome="approve", township_outcome="recommend_rejection",
               decision="rejected"),  # township reversed the village
             f("case", hh="c", decided_at=d, township_outcome="recommend_approval", decision="rejected")]
    r = k.reversals_on_review(cases, P)
    assert (r.value, r.n) == (0.4, 5)
    assert k.reversals_on_review([], P).value is None


def test_services_wait_served_and_delivery():
    needs = [f("need", hh="a", assessed_at="2026-11-01T00:00:00Z", matched_at="2026-11-04T00:00:00Z",
               delivered_at="2026-11-10T00:00:00Z"),
             f("need", hh="b", assessed_at="2026-11-01T00:00:00Z", matched_at="2026-11-01T00:00:00Z"),
             f("need", hh="c", assessed_at="2026-11-01T00:00:00Z")]
    refs = [f("referral", hh="a", matched_at="2026-11-04T00:00:00Z", delivered_at="2026-11-10T00:00:00Z"),
            f("referral", hh="b", matched_at="2026-11-01T00:00:00Z", cancelled_at="2026-11-02T00:00:00Z"),
            f("referral", hh="c", matched_at="2026-11-01T00:00:00Z")]  # still open: not counted
    assert values(k.services(needs, refs, P)) == {"service_wait_median_days": (0.0, 2),
                                                  "needs_served_share": (pytest.approx(0.3333), 3),
                                                  "provider_delivery_rate": (0.5, 2)}


def test_ratings_and_satisfaction_at_the_threshold():
    fb = [f("feedback", hh="a", recorded_at="2026-11-02T00:00:00Z", rating=4, source="household"),
          f("feedback", hh="b", recorded_at="2026-11-02T00:00:00Z", rating=3, source="household"),
          f("feedback", hh="c", recorded_at="2026-11-02T00:00:00Z", rating=5, source="caseworker")]
    assert values(k.feedback(fb, P)) == {"provider_rating_mean": (4.0, 3), "household_satisfaction_share": (0.5, 2)}


def test_observations_ended_in_exit_need_the_exit_of_that_programme():
    obs = [f("observation", hh="a", started_at="2026-11-02T00:00:00Z", programme="dibao",
             completed_at="2026-11-20T00:00:00Z"),
           f("observation", hh="b", started_at="2026-11-02T00:00:00Z", programme="dibao",
             reverted_at="2026-11-05T00:00:00Z"),
           f("observation", hh="c", started_at="2026-10-02T00:00:00Z", programme="dibao",
             completed_at="2026-11-20T00:00:00Z")]
    exits = [f("exit", hh="a", exited_at="2026-11-25T00:00:00Z", programme="dibao"),
             f("exit", hh="c", exited_at="2026-11-25T00:00:00Z", programme="medical")]
    assert values(k.observations(obs, exits, P)) == {"observations_started": (2, 2), "observations_reverted": (1, 1),
                                                     "observations_ended_in_exit": (1, 1)}


def test_relapse_windows_count_only_exits_whose_window_has_passed():
    exits = [f("exit", hh="a", exited_at="2026-11-02T00:00:00Z"), f("exit", hh="b", exited_at="2026-11-02T00:00:00Z")]
    relapses = [f("relapse", hh="a", detected_at="2027-11-02T00:00:00Z"),  # day 365: inside the 12-month window
                f("relapse", hh="b", detected_at="2027-11-02T00:00:01Z")]  # a second later: only in the 24-month one
    assert values(k.relapse_rates(exits, relapses, P, NOW)) == {"relapse_rate_12m": (0.5, 2),
                                                                "relapse_rate_24m": (1.0, 2)}
    early = datetime(2027, 11, 2, tzinfo=timezone.utc)  # the 12-month window has just closed, the 24 not yet
    assert values(k.relapse_rates(exits, relapses, P, early)) == {"relapse_rate_12m": (0.5, 2),
                                                                  "relapse_rate_24m": (None, 0)}
    before = [f("relapse", hh="a", detected_at="2026-11-01T00:00:00Z")]  # before the exit: not a relapse after it
    assert values(k.relapse_rates(exits[:1], before, P, NOW))["relapse_rate_12m"] == (0.0, 1)


def test_petitions_by_category_on_time_and_overdue():
    ps = [f("petition", hh="a", category="wrongly_missed", filed_at="2026-11-02T00:00:00Z",
            decided_at="2026-11-05T00:00:00Z", decided_on_time=True, replied_at="2026-11-20T00:00:00Z",
            replied_on_time=False),
          f("petition", hh="b", category="wrongly_enrolled", filed_at="2026-11-02T00:00:00Z",
            acceptance_overdue_at="2026-11-18T00:00:00Z"),
          f("petition", hh="c", category="decision", filed_at="2026-10-02T00:00:00Z",
            acceptance_overdue_at="2026-10-18T00:00:00Z", decided_at="2026-10-20T00:00:00Z", decided_on_time=False)]
    v = values(k.petitions(ps, P))
    assert v["petitions_filed"] == (2, 2) and v["petitions_filed_wrongly_missed"] == (1, 1)
    assert v["petitions_filed_decision"] == (0, 0)
    assert v["petitions_on_time_share"] == (0.5, 2) and v["petitions_overdue_now"] == (1, 1)


def test_every_item_has_a_label_in_both_languages_and_a_unit():
    for key, (en, zh, unit) in k.LABELS.items():
        assert en and zh and unit in ("days", "share", "count", "rating"), key
