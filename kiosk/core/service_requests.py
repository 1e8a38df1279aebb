"""A resident's request (诉求) and the rules of its life, as pure functions.

::

    已登记 --受理--> 已受理 --开始处理/转办/排期/要求补充--> 处理中 · 已转办 · 已排期 · 待补充
       |                \\____________________________________/      | (clock paused)
       |                          |办结 / 答复                    补充材料 → 处理中
       |                          v
       |                  已办结 · 已答复 --申请重办 (≤ 2)--> 处理中
       |                          |       --第 3 次申请重办--> 已转办 (区级)
       |--不予受理 / 非本辖区 (须写明去处) · 重复 (须关联原诉求) · 已撤回
       v
    (every end) --归档--> 已归档 (absorbing)

:func:`transition` is the only way a request changes: it returns the new request and the
event to store, or raises :class:`TransitionRefused` with a message staff or the resident
can read. Deadlines, categories and numbers: :mod:`kiosk.core.request_deadlines` and
:mod:`kiosk.core.request_numbers`; the rules in words: docs/SERVICE_TRACKING.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kiosk.core.clock import DEFAULT_TIMEZONE, hall_zone
from kiosk.core.request_states import (
    CLOSED_STATES,
    DISTRICT_UNIT,
    GRAPH,
    MAX_REOPENS,
    RATING_WINDOW,
    ROLE_LABELS,
    SET_ASIDE_STATES,
    WORKING_STATES,
    Action,
    Role,
    Satisfaction,
    State,
    role_may,
)
from kiosk.core.workdays import Pause

__all__ = [
    "CLOSED_STATES",
    "DISTRICT_UNIT",
    "GRAPH",
    "MAX_REOPENS",
    "RATING_WINDOW",
    "SET_ASIDE_STATES",
    "WORKING_STATES",
    "Action",
    "Actor",
    "RequestEvent",
    "Role",
    "Satisfaction",
    "ServiceRequest",
    "State",
    "TransitionRefused",
    "allowed_actions",
    "register",
    "transition",
]


_TEXT_MAX = 500
_ZONE = hall_zone(DEFAULT_TIMEZONE)


@dataclass(frozen=True)
class Actor:
    role: Role
    id: str = ""
    """The staff account or device; empty for an anonymous resident."""


@dataclass(frozen=True)
class ServiceRequest:
    """One request as the rules see it (the server keeps the text, photos and people)."""

    id: str
    number: str
    category: str
    limit_workdays: int
    """The category's closing limit, fixed when the request was registered."""
    registered_at: dt.datetime
    named: bool
    """The resident left a name or phone: a follow-up call is owed after closing."""
    state: State = State.REGISTERED
    updated_at: dt.datetime | None = None
    accepted_at: dt.datetime | None = None
    clock_start: dt.datetime | None = None
    """Where the closing deadline counts from: acceptance, or the latest 申请重办."""
    pauses: tuple[Pause, ...] = ()
    """Finished stretches in 待补充 since ``clock_start``."""
    paused_since: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    reopen_count: int = 0
    at_district: bool = False
    redirect_to: str | None = None
    duplicate_of: str | None = None
    transferred_to: str | None = None
    expected_date: dt.date | None = None
    answer: str | None = None
    followed_up_at: dt.datetime | None = None
    satisfaction: Satisfaction | None = None
    rated_at: dt.datetime | None = None


@dataclass(frozen=True)
class RequestEvent:
    """One change, to store and to show on the timeline."""

    action: Action
    actor: Actor
    at: dt.datetime
    before: State | None
    after: State
    fields: Mapping[str, str] = field(default_factory=dict)


class TransitionRefused(ValueError):
    """An action the rules do not allow now; the message is for a person."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


def register(
    *,
    id: str,
    number: str,
    category: str,
    limit_workdays: int,
    at: dt.datetime,
    named: bool,
    actor: Actor,
) -> tuple[ServiceRequest, RequestEvent]:
    """A new request in 已登记, and its first event."""
    _need_aware(at)
    if isinstance(limit_workdays, bool) or not isinstance(limit_workdays, int):
        raise TransitionRefused("办结时限应为整数个工作日", field="limit_workdays")
    if not 1 <= limit_workdays <= 60:
        raise TransitionRefused("办结时限应在 1–60 个工作日之间", field="limit_workdays")
    request = ServiceRequest(
        id=id,
        number=number,
        category=category,
        limit_workdays=limit_workdays,
        registered_at=at,
        named=named,
        updated_at=at,
    )
    return request, RequestEvent(Action.REGISTER, actor, at, None, State.REGISTERED, {})


def allowed_actions(request: ServiceRequest, role: Role) -> frozenset[Action]:
    """What ``role`` may do to ``request`` now by the graph (for enabling buttons)."""
    return frozenset(a for (s, a) in GRAPH if s is request.state and role_may(role, a))


def transition(
    request: ServiceRequest, action: Action, actor: Actor, at: dt.datetime, **fields: object
) -> tuple[ServiceRequest, RequestEvent]:
    """``request`` after ``actor`` does ``action`` at ``at``, and the event to record."""
    try:
        action = Action(action)
    except ValueError:
        raise TransitionRefused(f"未知的操作：{action!r}") from None
    _need_aware(at)
    if request.updated_at is not None and at < request.updated_at:
        raise TransitionRefused("时间早于诉求的上一次变更，请检查系统时间")
    if not role_may(actor.role, action):
        raise TransitionRefused(f"{ROLE_LABELS[actor.role]}不能{action.label}")
    after = GRAPH.get((request.state, action))
    if after is None:
        raise TransitionRefused(f"诉求{request.state.label}，不能{action.label}")
    values = _check_fields(request, action, at, fields)
    changes = _changes(request, action, at, values)
    after = changes.pop("state", after)
    assert isinstance(after, State)
    new = dataclasses.replace(
        request, state=after, updated_at=at, **_leave_pause(request, after, at)
    )
    new = dataclasses.replace(new, **changes)
    text = {k: v.isoformat() if isinstance(v, dt.date) else str(v) for k, v in values.items()}
    return new, RequestEvent(action, actor, at, request.state, after, text)


# action -> (field, what to ask for when it is missing); every other field is refused.
_REQUIRED: dict[Action, tuple[str, str]] = {
    Action.REFUSE: ("redirect_to", "不予受理须写明居民应去哪里办理"),
    Action.OUT_OF_AREA: ("redirect_to", "非本辖区须写明居民应去哪里反映"),
    Action.MARK_DUPLICATE: ("original", "标记重复须关联原诉求"),
    Action.TRANSFER: ("unit", "转办须写明承办单位"),
    Action.SCHEDULE: ("expected_date", "排期须给出预计办理日期"),
    Action.RESOLVE: ("answer", "办结须写明办理结果"),
    Action.ANSWER: ("answer", "答复须写明答复内容"),
    Action.REOPEN: ("reason", "申请重办须写明理由"),
    Action.RATE: ("satisfaction", "请选择满意、基本满意或不满意"),
}
_OPTIONAL = {Action.FOLLOW_UP: "note", Action.ASK_INFO: "note", Action.SUPPLY_INFO: "note"}


def _check_fields(
    request: ServiceRequest, action: Action, at: dt.datetime, fields: Mapping[str, object]
) -> dict[str, object]:
    required = _REQUIRED.get(action)
    allowed = {required[0]} if required else set()
    allowed |= {_OPTIONAL[action]} if action in _OPTIONAL else set()
    for name in fields:
        if name not in allowed:
            raise TransitionRefused(f"{action.label}不需要填写“{name}”", field=name)
    values = dict(fields)
    if required is not None:
        name, ask = required
        value = values.get(name)
        if name == "expected_date":
            if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
                raise TransitionRefused(ask, field=name)
            if value < at.astimezone(_ZONE).date():
                raise TransitionRefused("预计办理日期不能早于今天", field=name)
        elif name == "satisfaction":
            try:
                values[name] = Satisfaction(str(value))
            except ValueError:
                raise TransitionRefused(ask, field=name) from None
        else:
            values[name] = _text(value, ask, name)
    if "note" in values:
        values["note"] = _text(values["note"], "备注不能为空", "note")
    if action is Action.MARK_DUPLICATE and values["original"] in (request.id, request.number):
        raise TransitionRefused("不能把诉求标记为自身的重复", field="original")
    return values


def _text(value: object, ask: str, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TransitionRefused(ask, field=name)
    if len(value) > _TEXT_MAX:
        raise TransitionRefused(f"内容过长（最多 {_TEXT_MAX} 字）", field=name)
    return value.strip()


def _changes(
    request: ServiceRequest, action: Action, at: dt.datetime, values: Mapping[str, object]
) -> dict[str, Any]:
    """The fields ``action`` sets, checked against the rules that depend on the request."""
    if action is Action.ACCEPT:
        return {"accepted_at": at, "clock_start": at}
    if action in (Action.REFUSE, Action.OUT_OF_AREA):
        return {"redirect_to": values["redirect_to"]}
    if action is Action.MARK_DUPLICATE:
        return {"duplicate_of": values["original"]}
    if action is Action.TRANSFER:
        return {"transferred_to": values["unit"]}
    if action is Action.SCHEDULE:
        return {"expected_date": values["expected_date"]}
    if action in (Action.RESOLVE, Action.ANSWER):
        return {"answer": values["answer"], "closed_at": at}
    if action is Action.REOPEN:
        return _reopen(request, at)
    if action is Action.FOLLOW_UP:
        if not request.named:
            raise TransitionRefused("匿名诉求没有联系方式，无法回访")
        if request.followed_up_at is not None:
            raise TransitionRefused("本次办结已回访过")
        return {"followed_up_at": at}
    if action is Action.RATE:
        return _rate(request, at, values["satisfaction"])
    if action is Action.ARCHIVE:
        _may_archive(request, at)
    return {}


def _reopen(request: ServiceRequest, at: dt.datetime) -> dict[str, Any]:
    if request.at_district:
        raise TransitionRefused("该诉求已由区级复核办结，不能再申请重办；如有异议请拨打 12345 热线")
    fresh: dict[str, Any] = {
        "clock_start": at,
        "pauses": (),
        "closed_at": None,
        "answer": None,
        "followed_up_at": None,
        "satisfaction": None,
        "rated_at": None,
    }
    if request.reopen_count >= MAX_REOPENS:
        return {
            **fresh,
            "state": State.TRANSFERRED,
            "at_district": True,
            "transferred_to": DISTRICT_UNIT,
        }
    return {**fresh, "reopen_count": request.reopen_count + 1}


def _rate(request: ServiceRequest, at: dt.datetime, satisfaction: object) -> dict[str, Any]:
    if request.satisfaction is not None:
        raise TransitionRefused("您已评价过本次办理，每次办结只能评价一次")
    assert request.closed_at is not None
    if at > request.closed_at + RATING_WINDOW:
        raise TransitionRefused("评价已过期：办结 14 天内可以评价")
    return {"satisfaction": satisfaction, "rated_at": at}


def _may_archive(request: ServiceRequest, at: dt.datetime) -> None:
    if request.state not in CLOSED_STATES:
        return
    if request.named and request.followed_up_at is None:
        raise TransitionRefused("具名诉求须先完成回访，才能归档")
    assert request.closed_at is not None
    if request.satisfaction is None and at <= request.closed_at + RATING_WINDOW:
        raise TransitionRefused("居民尚可评价（办结后 14 天内），暂不能归档")


def _leave_pause(request: ServiceRequest, after: State, at: dt.datetime) -> dict[str, Any]:
    """Open a pause on entering 待补充, close it on leaving."""
    if after is State.AWAITING_INFO and request.paused_since is None:
        return {"paused_since": at}
    if after is not State.AWAITING_INFO and request.paused_since is not None:
        return {"paused_since": None, "pauses": (*request.pauses, (request.paused_since, at))}
    return {}


def _need_aware(at: dt.datetime) -> None:
    if not isinstance(at, dt.datetime) or at.utcoffset() is None:
        raise TransitionRefused("时间必须带时区")
