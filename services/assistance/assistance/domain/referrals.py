"""The life of a referral (a need matched to a provider) as a pure state machine::

    referred --accept (provider)--> accepted --deliver (provider)--> delivered
    referred | accepted --decline (provider)--> declined      the place is given back; the need waits again
    referred | accepted --cancel (caseworker)--> cancelled    the place is given back

Delivery gives no place back: capacity is counted per period, and the place was used.
"""
from __future__ import annotations

STATES = ("referred", "accepted", "delivered", "declined", "cancelled")
OPEN_STATES = ("referred", "accepted")
ACTIONS = ("accept", "decline", "deliver", "cancel")
_NEXT = {
    ("referred", "accept"): "accepted",
    ("referred", "decline"): "declined",
    ("accepted", "decline"): "declined",
    ("accepted", "deliver"): "delivered",
    ("referred", "cancel"): "cancelled",
    ("accepted", "cancel"): "cancelled",
}
ACTION_NAMES = {"accept": "接单", "decline": "拒绝", "deliver": "确认服务", "cancel": "撤回"}
STATE_NAMES = {"referred": "已转介", "accepted": "已接单", "delivered": "已服务", "declined": "已拒绝", "cancelled": "已取消"}


class IllegalTransition(ValueError):
    """The action cannot be taken in this state; ``allowed`` lists the actions that can."""

    def __init__(self, state: str, action: str, allowed: tuple[str, ...]):
        self.state, self.action, self.allowed = state, action, allowed
        super().__init__(f"cannot {action} a referral that is {state}; allowed: {', '.join(allowed) or 'none'}")

    @property
    def zh(self) -> str:
        return (f"转介当前状态为“{STATE_NAMES.get(self.state, self.state)}”，不能{ACTION_NAMES.get(self.action, '执行该操作')}；"
                f"可执行：{'、'.join(ACTION_NAMES.get(a, a) for a in self.allowed) or '无'}")


def allowed_actions(state: str) -> tuple[str, ...]:
    return tuple(action for action in ACTIONS if (state, action) in _NEXT)


def transition(state: str, action: str) -> str:
    if state not in STATES:
        raise ValueError(f"unknown referral state {state!r}")
    if action not in ACTIONS:
        raise ValueError(f"unknown referral action {action!r}")
    after = _NEXT.get((state, action))
    if after is None:
        raise IllegalTransition(state, action, allowed_actions(state))
    return after
