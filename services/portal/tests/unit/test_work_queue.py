"""My work's queue assembly (portal.staff.work.assemble), pure: the services' answers in, the queue out."""
from __future__ import annotations

from datetime import date

from portal.clients import Answer
from portal.staff import work

TODAY = date(2026, 12, 2)


def page(*items, total=None) -> Answer:
    return Answer(200, {"items": list(items), "total": len(items) if total is None else total, "limit": 200, "offset": 0})


def clue(i, due, overdue=False, status="raised"):
    return {"clue_id": f"clue-{i}", "household_id": f"h-{i}", "division_code": "530102001001", "status": status,
            "task_due_on": due, "overdue": overdue, "explanation_en": "Hospital bill.", "explanation_zh": "住院费用高。"}


def case(i, status, deadline, overdue=False):
    return {"case_id": f"case-{i}", "household_id": f"h-{i}", "division_code": "530102001001", "status": status,
            "deadline": deadline, "overdue": overdue, "applicant_name": "张三", "actions_for_you": ["start_assessment"]}


def need(i, priority):
    return {"need_id": f"need-{i}", "household_id": f"h-{i}", "division_code": "530102001001", "status": "waiting",
            "need_type": "daily_care", "priority": priority, "queue_position": i}


def participation(i, status, ends_on=None, last_day=None):
    return {"participation_id": f"p-{i}", "household_id": f"h-{i}", "division_code": "530102001001", "status": status,
            "programme": "dibao", "staff_actions": [], "observation": {"ends_on": ends_on} if ends_on else None,
            "notice": {"last_day": last_day} if last_day else None, "open_objections": 0}


def plan(i, next_due_on, overdue=False):
    return {"plan_id": f"plan-{i}", "household_id": f"h-{i}", "division_code": "530102001001", "status": "active",
            "next_due_on": next_due_on, "overdue": overdue, "file_number": "F-1"}


def everything(**over) -> dict[str, Answer]:
    answers = {
        "clues_raised": page(clue(1, "2026-12-05"), clue(2, "2026-11-28", overdue=True)),
        "clues_unconfirmed": page(clue(3, "2026-12-10", status="unconfirmed")),
        "cases": page(case(4, "opened", "2026-12-20"), case(5, "county_decision", "2026-11-30", overdue=True),
                      case(6, "public_notice", None)),
        "waitlist": page(need(7, "80"), need(8, "40")),
        "observations": page(participation(9, "observation", ends_on="2026-12-15"),
                             participation(10, "observation", ends_on="2027-06-01")),
        "exit_reviews": page(participation(11, "exit_review")),
        "exit_notices": page(participation(12, "exit_notice", last_day="2026-12-08")),
        "exit_decisions": page(),
        "reviews_overdue": page({"household_id": "h-16", "division_code": "530102001001", "file_number": "F-16",
                                 "next_review_due": "2026-11-15", "review_overdue": True}),
        "checkins": page(plan(13, "2026-12-03"), plan(14, "2027-03-01"), plan(15, "2026-11-01", overdue=True)),
    }
    answers.update(over)
    return answers


def ids(queue) -> list[str]:
    return [i.item_id for i in queue.items]


def test_items_are_ordered_by_deadline_overdue_first_and_those_without_one_last_in_the_services_order():
    q = work.assemble(everything(), TODAY, per_page=100)
    assert ids(q) == ["plan-15", "h-16", "clue-2", "case-5", "plan-13", "clue-1", "p-12", "clue-3", "p-9", "case-4",
                      # no deadline: in source order; the waitlist keeps its own priority order
                      "case-6", "need-7", "need-8", "p-11"]
    assert [i.overdue for i in q.items[:4]] == [True] * 4 and not any(i.overdue for i in q.items[4:])


def test_far_observations_and_check_ins_are_left_out_until_the_horizon():
    q = work.assemble(everything(), TODAY, per_page=100)
    assert "p-10" not in ids(q) and "plan-14" not in ids(q)


def test_counts_per_kind_and_overdue_counts_do_not_depend_on_the_filters():
    q = work.assemble(everything(), TODAY, kind="clue", overdue_only=True)
    assert q.counts == {"clue": 3, "assessment": 1, "review": 0, "notice": 1, "township_review": 0,
                        "county_decision": 1, "waiting_need": 2, "observation": 1, "exit_review": 2, "periodic_review": 1,
                        "checkin": 2}
    assert q.overdue_counts["clue"] == 1 and q.overdue_counts["county_decision"] == 1 and q.overdue_counts["checkin"] == 1
    assert ids(q) == ["clue-2"] and q.total == 1


def test_the_kind_filter_and_the_case_stages():
    q = work.assemble(everything(), TODAY, kind="county_decision")
    assert ids(q) == ["case-5"] and q.items[0].link == "/staff/cases/case-5"
    assert work.assemble(everything(), TODAY, kind="notice").items[0].stage == "public_notice"


def test_pagination_pages_and_clamps():
    q = work.assemble(everything(), TODAY, per_page=5, page=2)
    assert q.pages == 3 and q.page == 2 and ids(q) == ["clue-1", "p-12", "clue-3", "p-9", "case-4"]
    last = work.assemble(everything(), TODAY, per_page=5, page=99)
    assert last.page == 3 and ids(last) == ["case-6", "need-7", "need-8", "p-11"]
    assert work.assemble({k: page() for k in everything()}, TODAY).pages == 1


def test_a_service_that_is_down_is_named_and_the_rest_of_the_queue_still_comes():
    down = Answer(503, unavailable=True)
    q = work.assemble(everything(cases=down, waitlist=down), TODAY, per_page=100)
    assert q.unavailable == ["identification", "assistance"]
    assert not any(i.service in ("identification", "assistance") for i in q.items)
    assert "clue-2" in ids(q) and "plan-13" in ids(q) and q.counts["county_decision"] == 0


def test_a_missing_answer_counts_as_unavailable_and_a_refusal_is_kept_with_its_words():
    answers = everything()
    del answers["checkins"]
    answers["waitlist"] = Answer(403, {"error": "forbidden", "message": "Role not allowed.", "message_zh": "无权查看。"})
    q = work.assemble(answers, TODAY)
    assert q.unavailable == ["followup"]
    assert q.refused == {"assistance": {"error": "forbidden", "message": "Role not allowed.", "message_zh": "无权查看。"}}


def test_a_list_longer_than_one_fetch_is_said_and_duplicates_are_shown_once():
    answers = everything(clues_raised=page(clue(1, "2026-12-05"), clue(1, "2026-12-05"), total=500))
    q = work.assemble(answers, TODAY, per_page=100)
    assert q.truncated == ["clues_raised"] and ids(q).count("clue-1") == 1


def test_links_follow_the_staff_url_map():
    links = {i.kind: i.link for i in work.assemble(everything(), TODAY, per_page=100).items}
    assert links["clue"].startswith("/staff/clues/") and links["waiting_need"] == "/staff/assistance/households/h-8"
    assert links["observation"] == "/staff/exit/participations/p-9" and links["checkin"].startswith("/staff/followup/plans/")


class Recorder:
    def __init__(self, down=()):
        self.calls, self.down, self.correlation_ids = [], set(down), set()

    def as_officer(self, service, method, path, authorization, **kw):
        from shared.observability import correlation_id
        self.calls.append((service, path, kw.get("params")))
        self.correlation_ids.add(correlation_id.get())
        return Answer(503, unavailable=True) if service in self.down else page()


def test_fetch_asks_each_list_with_the_officers_token_and_a_service_that_is_down_only_once():
    from shared.observability import correlation_id
    clients = Recorder(down={"gradual_exit"})
    token = correlation_id.set("cid-1")
    try:
        answers = work.fetch(clients, {"Authorization": "Bearer x"})
    finally:
        correlation_id.reset(token)
    assert clients.correlation_ids == {"cid-1"}, "the request's correlation id goes with every call"
    assert set(answers) == {s.name for s in work.SOURCES}
    assert [c for c in clients.calls if c[0] == "gradual_exit"] == [  # the first list only
        ("gradual_exit", "/api/v1/participations", {"status": "observation", "limit": 200})]
    assert ("identification", "/api/v1/cases", {"actionable": "true", "order": "deadline", "limit": 200}) in clients.calls
    assert all(answers[n].unavailable for n in ("observations", "exit_reviews", "exit_notices", "exit_decisions",
                                                "reviews_overdue"))
