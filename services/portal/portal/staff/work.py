"""My work (工作台): the one queue of what needs an officer now, assembled from the services' own lists.

`SOURCES` says which list endpoint answers each part; `assemble` is pure (the services' answers in, the sorted,
counted, filtered and paged queue out), so the ordering, the counts, the overdue flag and a service that is down
are tested without any service. Nothing here decides what a household is entitled to: who may take which step is
the services' answer (identification's `actionable` desk, each list's own flags); the portal only orders by the
deadline the service gives and groups the items by kind."""
from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta

from portal.clients import Answer

FETCH = 200  # the largest page every list endpoint gives; more than this is said on the page (truncated)
PER_PAGE = 20
# followup's plans and gradual_exit's observations carry a due date but no "due before" filter: the queue shows those
# due within this horizon (a presentation choice: what an officer should prepare for, not a statutory rule).
HORIZON_DAYS = 30

# identification's case states grouped into the kinds of work a person recognises (the portal's wording only)
CASE_KINDS = {"opened": "assessment", "field_assessment": "assessment", "democratic_review": "review",
              "awaiting_notice": "notice", "public_notice": "notice", "township_review": "township_review",
              "county_decision": "county_decision"}
EXIT_KINDS = {"observation": "observation", "exit_review": "exit_review", "exit_notice": "exit_review",
              "exit_decision": "exit_review"}
KINDS = ("clue", "assessment", "review", "notice", "township_review", "county_decision", "waiting_need",
         "observation", "exit_review", "periodic_review", "checkin")
SERVICES = ("discovery", "identification", "assistance", "gradual_exit", "followup")


@dataclass(frozen=True)
class Source:
    """One list endpoint the queue reads (GET, with the officer's token)."""

    name: str
    service: str
    path: str
    params: dict


SOURCES = (
    Source("clues_raised", "discovery", "/api/v1/clues", {"status": "raised", "limit": FETCH}),
    Source("clues_unconfirmed", "discovery", "/api/v1/clues", {"status": "unconfirmed", "limit": FETCH}),
    Source("cases", "identification", "/api/v1/cases", {"actionable": "true", "order": "deadline", "limit": FETCH}),
    Source("waitlist", "assistance", "/api/v1/waitlist", {"limit": FETCH}),
    Source("observations", "gradual_exit", "/api/v1/participations", {"status": "observation", "limit": FETCH}),
    Source("exit_reviews", "gradual_exit", "/api/v1/participations", {"status": "exit_review", "limit": FETCH}),
    Source("exit_notices", "gradual_exit", "/api/v1/participations", {"status": "exit_notice", "limit": FETCH}),
    Source("exit_decisions", "gradual_exit", "/api/v1/participations", {"status": "exit_decision", "limit": FETCH}),
    Source("reviews_overdue", "gradual_exit", "/api/v1/households", {"review_overdue": "true", "limit": FETCH}),
    Source("checkins", "followup", "/api/v1/plans", {"status": "active", "limit": FETCH}),
)


@dataclass(frozen=True)
class WorkItem:
    kind: str
    service: str
    item_id: str
    household_id: str
    division_code: str
    stage: str                 # the service's own state code (shown by name)
    deadline: date | None      # the service's due date; None sorts last
    overdue: bool              # the service's own overdue flag
    link: str
    summary_en: str = ""       # the service's bilingual explanation, when it has one
    summary_zh: str = ""
    detail: dict = field(default_factory=dict)


@dataclass
class Queue:
    items: list[WorkItem]               # this page
    total: int                          # after the filters
    counts: dict[str, int]              # per kind, before the filters
    overdue_counts: dict[str, int]
    unavailable: list[str]              # services that did not answer: their part is missing, said on the page
    refused: dict[str, dict]            # service -> its bilingual refusal (e.g. 403 for this role)
    truncated: list[str]                # sources that had more than FETCH items
    page: int
    pages: int
    kind: str | None
    overdue_only: bool


def _day(value) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _clue(c: dict, _today: date) -> WorkItem | None:
    return WorkItem("clue", "discovery", c["clue_id"], c.get("household_id", ""), c.get("division_code", ""),
                    c.get("status", ""), _day(c.get("task_due_on")), bool(c.get("overdue")),
                    f"/staff/clues/{c['clue_id']}", c.get("explanation_en", ""), c.get("explanation_zh", ""),
                    {"severity": c.get("severity"), "kind": c.get("kind")})


def _case(c: dict, _today: date) -> WorkItem | None:
    kind = CASE_KINDS.get(c.get("status", ""))
    if kind is None:
        return None
    return WorkItem(kind, "identification", c["case_id"], c.get("household_id", ""), c.get("division_code", ""),
                    c["status"], _day(c.get("deadline")), bool(c.get("overdue")), f"/staff/cases/{c['case_id']}",
                    detail={"applicant_name": c.get("applicant_name"), "actions": c.get("actions_for_you") or []})


def _need(n: dict, _today: date) -> WorkItem | None:
    return WorkItem("waiting_need", "assistance", n["need_id"], n.get("household_id", ""), n.get("division_code", ""),
                    n.get("status", ""), None, False, f"/staff/assistance/households/{n.get('household_id', '')}",
                    detail={"need_type": n.get("need_type"), "priority": n.get("priority"),
                            "queue_position": n.get("queue_position"), "waiting_since": n.get("waiting_since")})


def _participation(p: dict, today: date) -> WorkItem | None:
    status = p.get("status", "")
    kind = EXIT_KINDS.get(status)
    if kind is None:
        return None
    observation, notice = p.get("observation") or {}, p.get("notice") or {}
    if status == "observation":
        deadline = _day(observation.get("ends_on"))
        if deadline is None or deadline > today + timedelta(days=HORIZON_DAYS):
            return None  # an observation period far from its end needs nobody yet
    elif status == "exit_notice":
        deadline = _day(notice.get("last_day"))
    else:
        deadline = None
    return WorkItem(kind, "gradual_exit", p["participation_id"], p.get("household_id", ""), p.get("division_code", ""),
                    status, deadline, False, f"/staff/exit/participations/{p['participation_id']}",
                    detail={"programme": p.get("programme"), "actions": p.get("staff_actions") or [],
                            "open_objections": p.get("open_objections", 0)})


def _household_review(h: dict, _today: date) -> WorkItem | None:
    return WorkItem("periodic_review", "gradual_exit", h["household_id"], h["household_id"], h.get("division_code", ""),
                    "review_overdue", _day(h.get("next_review_due")), bool(h.get("review_overdue")),
                    f"/staff/households/{h['household_id']}", detail={"file_number": h.get("file_number")})


def _plan(p: dict, today: date) -> WorkItem | None:
    due = _day(p.get("next_due_on"))
    overdue = bool(p.get("overdue"))
    if not overdue and (due is None or due > today + timedelta(days=HORIZON_DAYS)):
        return None
    return WorkItem("checkin", "followup", p["plan_id"], p.get("household_id", ""), p.get("division_code", ""),
                    p.get("status", ""), due, overdue, f"/staff/followup/plans/{p['plan_id']}",
                    detail={"file_number": p.get("file_number")})


TRANSLATE: dict[str, Callable[[dict, date], WorkItem | None]] = {
    "clues_raised": _clue, "clues_unconfirmed": _clue, "cases": _case, "waitlist": _need,
    "observations": _participation, "exit_reviews": _participation, "exit_notices": _participation,
    "exit_decisions": _participation, "reviews_overdue": _household_review, "checkins": _plan}


def sort_key(item: WorkItem, position: int) -> tuple:
    """Earliest deadline first; items without one (a need waiting for a place) after, in the service's own order
    (the waitlist's is highest priority first)."""
    return (item.deadline is None, item.deadline or date.max, not item.overdue, position)


def assemble(answers: dict[str, Answer], today: date, *, kind: str | None = None, overdue_only: bool = False,
             page: int = 1, per_page: int = PER_PAGE) -> Queue:
    """The queue from each source's answer (a missing source counts as unavailable)."""
    unavailable: list[str] = []
    refused: dict[str, dict] = {}
    truncated: list[str] = []
    collected: list[WorkItem] = []
    seen: set[tuple[str, str]] = set()
    for source in SOURCES:
        answer = answers.get(source.name)
        if answer is None or answer.unavailable:
            if source.service not in unavailable:
                unavailable.append(source.service)
            continue
        if not answer.ok:
            refused.setdefault(source.service, answer.body)
            continue
        rows = answer.body.get("items") or []
        if int(answer.body.get("total") or 0) > len(rows):
            truncated.append(source.name)
        for row in rows:
            item = TRANSLATE[source.name](row, today)
            if item is not None and (item.service, item.item_id) not in seen:
                seen.add((item.service, item.item_id))
                collected.append(item)
    ordered = [item for _, item in sorted(((sort_key(it, i), it) for i, it in enumerate(collected)),
                                          key=lambda pair: pair[0])]
    counts = {k: 0 for k in KINDS}
    overdue_counts = {k: 0 for k in KINDS}
    for item in ordered:
        counts[item.kind] += 1
        overdue_counts[item.kind] += item.overdue
    chosen = [it for it in ordered if (kind is None or it.kind == kind) and (not overdue_only or it.overdue)]
    pages = max(1, -(-len(chosen) // per_page))
    page = max(1, min(page, pages))
    return Queue(chosen[(page - 1) * per_page: page * per_page], len(chosen), counts, overdue_counts, unavailable,
                 refused, truncated, page, pages, kind, overdue_only)


def fetch(clients, authorization: dict) -> dict[str, Answer]:
    """Every source's answer, each with the officer's token, in two parallel rounds: first one list of each service
    (a page waits for the slowest service, not for the sum), then the other lists of every service that answered,
    all at once; a service that is down is waited for once and its other lists are not asked."""
    def ask(source: Source) -> tuple[str, Answer]:
        return source.name, clients.as_officer(source.service, "GET", source.path, authorization, params=source.params)

    def round_of(sources: list[Source]) -> dict[str, Answer]:
        if not sources:
            return {}
        with ThreadPoolExecutor(max_workers=len(sources)) as pool:  # each call keeps the request's correlation id
            futures = [pool.submit(contextvars.copy_context().run, ask, source) for source in sources]
            return dict(f.result() for f in futures)

    by_service = {service: [s for s in SOURCES if s.service == service] for service in SERVICES}
    answers = round_of([sources[0] for sources in by_service.values() if sources])
    down = {service for service, sources in by_service.items() if sources and answers[sources[0].name].unavailable}
    answers.update({s.name: Answer(503, unavailable=True) for service in down for s in by_service[service][1:]})
    answers.update(round_of([s for service, sources in by_service.items() if service not in down for s in sources[1:]]))
    return answers
