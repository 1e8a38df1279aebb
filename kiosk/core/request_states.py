"""The states of a resident's request (诉求), the actions on it, and the graph between them.

The graph is data (:data:`GRAPH`); :mod:`kiosk.core.service_requests` applies it, with
the rules that depend on the request itself (申请重办 at most twice, a rating once, …).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from enum import StrEnum

__all__ = [
    "CLOSED_STATES",
    "DISTRICT_UNIT",
    "GRAPH",
    "MAX_REOPENS",
    "RATING_WINDOW",
    "ROLE_LABELS",
    "SET_ASIDE_STATES",
    "WORKING_STATES",
    "Action",
    "Role",
    "Satisfaction",
    "State",
    "role_may",
]


class State(StrEnum):
    REGISTERED = "registered"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    AWAITING_INFO = "awaiting_info"
    TRANSFERRED = "transferred"
    SCHEDULED = "scheduled"
    RESOLVED = "resolved"
    ANSWERED = "answered"
    REFUSED = "refused"
    OUT_OF_AREA = "out_of_area"
    DUPLICATE = "duplicate"
    WITHDRAWN = "withdrawn"
    ARCHIVED = "archived"

    @property
    def label(self) -> str:
        return _STATE_LABELS[self]


_STATE_LABELS = dict(
    zip(
        State,
        [
            "已登记",
            "已受理",
            "处理中",
            "待补充",
            "已转办",
            "已排期",
            "已办结",
            "已答复",
            "不予受理",
            "非本辖区",
            "重复",
            "已撤回",
            "已归档",
        ],
        strict=True,
    )
)


class Action(StrEnum):
    REGISTER = "register"
    ACCEPT = "accept"
    START = "start"
    ASK_INFO = "ask_info"
    SUPPLY_INFO = "supply_info"
    TRANSFER = "transfer"
    SCHEDULE = "schedule"
    RESOLVE = "resolve"
    ANSWER = "answer"
    REFUSE = "refuse"
    OUT_OF_AREA = "out_of_area"
    MARK_DUPLICATE = "mark_duplicate"
    WITHDRAW = "withdraw"
    REOPEN = "reopen"
    FOLLOW_UP = "follow_up"
    RATE = "rate"
    ARCHIVE = "archive"

    @property
    def label(self) -> str:
        return _ACTION_LABELS[self]


_ACTION_LABELS = dict(
    zip(
        Action,
        [
            "登记",
            "受理",
            "开始处理",
            "要求补充",
            "补充材料",
            "转办",
            "排期",
            "办结",
            "答复",
            "不予受理",
            "转非本辖区",
            "标记重复",
            "撤回",
            "申请重办",
            "回访",
            "评价",
            "归档",
        ],
        strict=True,
    )
)


class Role(StrEnum):
    RESIDENT = "resident"
    STAFF = "staff"
    LEADER = "leader"
    DISTRICT = "district"
    SYSTEM = "system"


class Satisfaction(StrEnum):
    SATISFIED = "satisfied"
    FAIRLY = "fairly_satisfied"
    UNSATISFIED = "unsatisfied"

    @property
    def label(self) -> str:
        return {"satisfied": "满意", "fairly_satisfied": "基本满意", "unsatisfied": "不满意"}[self]


WORKING_STATES = frozenset(
    {State.ACCEPTED, State.IN_PROGRESS, State.AWAITING_INFO, State.TRANSFERRED, State.SCHEDULED}
)
"""The closing deadline runs (paused in 待补充)."""
CLOSED_STATES = frozenset({State.RESOLVED, State.ANSWERED})
"""Closed with an answer: follow-up, rating and 申请重办 happen here."""
SET_ASIDE_STATES = frozenset({State.REFUSED, State.OUT_OF_AREA, State.DUPLICATE, State.WITHDRAWN})
"""Ended without being handled; only archived from here."""

MAX_REOPENS = 2
"""申请重办 the hall itself takes on; the next one goes to the district."""
DISTRICT_UNIT = "区级"
RATING_WINDOW = dt.timedelta(days=14)
"""How long after closing the resident may rate (calendar days)."""


def _graph() -> dict[tuple[State, Action], State]:
    g: dict[tuple[State, Action], State] = {
        (State.REGISTERED, Action.ACCEPT): State.ACCEPTED,
        (State.REGISTERED, Action.REFUSE): State.REFUSED,
        (State.REGISTERED, Action.OUT_OF_AREA): State.OUT_OF_AREA,
        (State.REGISTERED, Action.MARK_DUPLICATE): State.DUPLICATE,
        (State.REGISTERED, Action.WITHDRAW): State.WITHDRAWN,
        (State.AWAITING_INFO, Action.SUPPLY_INFO): State.IN_PROGRESS,
        (State.AWAITING_INFO, Action.ANSWER): State.ANSWERED,
        (State.AWAITING_INFO, Action.WITHDRAW): State.WITHDRAWN,
    }
    moves = {
        Action.START: State.IN_PROGRESS,
        Action.ASK_INFO: State.AWAITING_INFO,
        Action.TRANSFER: State.TRANSFERRED,
        Action.SCHEDULE: State.SCHEDULED,
        Action.RESOLVE: State.RESOLVED,
        Action.ANSWER: State.ANSWERED,
        Action.MARK_DUPLICATE: State.DUPLICATE,
        Action.WITHDRAW: State.WITHDRAWN,
    }
    for state in WORKING_STATES - {State.AWAITING_INFO}:
        for action, after in moves.items():
            if after is not state or action in (Action.TRANSFER, Action.SCHEDULE):
                g[(state, action)] = after  # a new unit or a new date is a move too
    for state in CLOSED_STATES:
        g[(state, Action.REOPEN)] = State.IN_PROGRESS  # or 已转办 (区级), see _reopen
        g[(state, Action.FOLLOW_UP)] = state
        g[(state, Action.RATE)] = state
    for state in CLOSED_STATES | SET_ASIDE_STATES:
        g[(state, Action.ARCHIVE)] = State.ARCHIVED
    return g


GRAPH: Mapping[tuple[State, Action], State] = _graph()
"""Every allowed (state, action) and the state it leads to (申请重办 may go to 已转办)."""

_RESIDENT_MAY = frozenset({Action.WITHDRAW, Action.SUPPLY_INFO, Action.REOPEN, Action.RATE})
_SYSTEM_MAY = frozenset({Action.ARCHIVE})

ROLE_LABELS = {
    Role.RESIDENT: "居民",
    Role.STAFF: "工作人员",
    Role.LEADER: "负责人",
    Role.DISTRICT: "区级管理员",
    Role.SYSTEM: "系统",
}


def role_may(role: Role, action: Action) -> bool:
    """Whether ``role`` may ever do ``action`` (the graph says when)."""
    if role is Role.RESIDENT:
        return action in _RESIDENT_MAY
    if role is Role.SYSTEM:
        return action in _SYSTEM_MAY
    return action is not Action.RATE  # staff never rate a resident's request
