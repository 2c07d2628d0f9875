"""A follow-up plan's life cycle and its relapse episodes, as pure functions of the plan's status.

One plan per household, never deleted::

    (none)    --exit--> active           plan.started: the first exit starts the schedule
    active    --exit--> active           another programme's exit extends the schedule if it needs longer
    active    --risk--> relapsed         a new risk episode opens: exactly one followup.relapse.detected
    relapsed  --risk--> relapsed         the open episode takes the new evidence; no second event
    relapsed  --close_episode--> active  staff found the risk resolved or not confirmed; check-ins resume
    relapsed  --exit--> active           assisted again and exited again: the episode closes, the plan restarts
    relapsed  --exit--> relapsed         an exit from before the episode began is only recorded
    active    --complete--> completed    the last check-in's date (and its grace) has passed
    completed --exit--> active           a later exit restarts the same plan, with its history

While a plan is relapsed the household is back on discovery's fast track: check-ins may still be recorded, but
none is reported overdue. A completed plan takes no check-ins or signals (the household is no longer followed up).
"""
from __future__ import annotations

STATUSES = ("active", "relapsed", "completed")
ACTIONS = ("exit", "checkin", "signal", "risk", "close_episode", "complete")

# Names shown in Chinese messages (a Chinese reader sees no English codes).
STATUS_ZH = {"active": "跟踪中", "relapsed": "返贫风险处置中", "completed": "跟踪已结束"}
ACTION_ZH = {"exit": "登记退出", "checkin": "记录回访", "signal": "接收部门报送", "risk": "登记返贫风险",
             "close_episode": "结束返贫风险事件", "complete": "结束跟踪", "record_checkin": "记录回访",
             "report_signal": "报送跟踪对象风险", "read": "查阅跟踪计划"}
OUTCOME_ZH = {"resolved": "风险已化解", "not_confirmed": "风险未证实", "exited_again": "再次救助后退出"}

_ALLOWED = {
    "active": ("exit", "checkin", "signal", "risk", "complete"),
    "relapsed": ("exit", "checkin", "signal", "risk", "close_episode"),
    "completed": ("exit",),
}


class IllegalTransition(ValueError):
    """The action cannot be taken on a plan in this status; bilingual, with the actions that can."""

    def __init__(self, status: str, action: str, en: str, zh: str, code: str = "illegal_transition"):
        self.status, self.action, self.en, self.zh, self.code = status, action, en, zh, code
        self.allowed = allowed_actions(status)
        super().__init__(en)


def allowed_actions(status: str) -> tuple[str, ...]:
    if status not in _ALLOWED:
        raise ValueError(f"unknown plan status {status!r}; known: {', '.join(STATUSES)}")
    return _ALLOWED[status]


def _require(status: str, action: str) -> None:
    if action not in allowed_actions(status):
        if status == "completed":
            raise IllegalTransition(status, action, "The follow-up plan is completed: the household is no longer "
                                    "followed up.", "该户跟踪计划已结束，不再跟踪。", code="plan_completed")
        if action == "close_episode":
            raise IllegalTransition(status, action, "The plan has no open relapse episode to close.",
                                    "该计划没有未结束的返贫风险事件。", code="no_open_episode")
        raise IllegalTransition(status, action, f"A plan that is {status} cannot {action}.",
                                f"处于“{STATUS_ZH[status]}”状态的计划不能{ACTION_ZH.get(action, '执行该操作')}。")


def on_exit(status: str | None, *, before_open_episode: bool = False) -> tuple[str, str]:
    """(what to do, the status after) when gradual exit reports an exit: start, extend, restart or record.

    ``before_open_episode``: the exit happened before the open relapse episode was detected (late news of an
    earlier exit), so it does not end the episode: it is only recorded."""
    if status is None:
        return "start", "active"
    _require(status, "exit")
    if status == "active":
        return "extend", "active"
    if status == "relapsed" and before_open_episode:
        return "record", "relapsed"
    return "restart", "active"


def on_risk(status: str) -> tuple[str, str]:
    """(open_episode | attach, the status after) when a check-in or signal finds a relapse risk."""
    _require(status, "risk")
    return ("open_episode", "relapsed") if status == "active" else ("attach", "relapsed")


def may_record(status: str, action: str) -> None:
    """Raises unless a check-in (``checkin``) or a partner signal (``signal``) may be recorded."""
    _require(status, action)


def close_episode(status: str) -> str:
    _require(status, "close_episode")
    return "active"


def complete(status: str) -> str:
    _require(status, "complete")
    return "completed"
