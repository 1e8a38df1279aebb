"""Request categories and their limits, and how a request stands against its deadlines.

Two clocks, both in working time (:mod:`kiosk.core.workdays`): acceptance within
:data:`ACCEPT_WITHIN` working day of registration, and closing within the category's
limit counted from acceptance (or from the latest 申请重办), with time in 待补充 left out.
Amber from :data:`AMBER_AT` of the limit, red when overdue; an overdue request escalates
to the hall's leader, and :data:`DISTRICT_AFTER` working days later to the district.
A named request owes a follow-up call (回访) within :data:`FOLLOW_UP_WITHIN` working days
of closing. See docs/SERVICE_TRACKING.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from kiosk.core.content import CATEGORIES
from kiosk.core.ratings import Level
from kiosk.core.service_requests import (
    CLOSED_STATES,
    RATING_WINDOW,
    WORKING_STATES,
    Satisfaction,
    ServiceRequest,
    State,
)
from kiosk.core.workdays import WORKDAY, Pause, WorkCalendar

__all__ = [
    "ACCEPT_WITHIN",
    "AMBER_AT",
    "DEFAULT_CATEGORIES",
    "DISTRICT_AFTER",
    "FOLLOW_UP_WITHIN",
    "LEVEL_SATISFACTION",
    "Clock",
    "DeadlineStatus",
    "Escalation",
    "Light",
    "RequestCategory",
    "categories_by_id",
    "deadline_status",
    "follow_up_due",
    "follow_up_overdue",
    "may_rate",
    "offers_reopen",
    "satisfaction_of",
]

ACCEPT_WITHIN = 1
"""Working days from registration to 受理 (or a reasoned refusal)."""
AMBER_AT = 0.75
"""The share of a limit used after which a request shows amber."""
DISTRICT_AFTER = 2
"""Working days overdue after which the district is told, on top of the leader."""
FOLLOW_UP_WITHIN = 3
"""Working days after closing by which a named request's resident is called back."""


@dataclass(frozen=True)
class RequestCategory:
    id: str
    name: str
    limit_workdays: int
    """Working days from 受理 to 办结 or 答复."""

    def limit_in_words(self) -> str:
        """For the receipt: ``3 个工作日内答复``."""
        return f"{self.limit_workdays} 个工作日内答复"


_TEN_LIMITS = {
    "party": 5,
    "safety": 3,
    "environment": 5,
    "employment": 5,
    "assistance": 5,
    "elderly": 5,
    "health": 5,
    "culture": 10,
    "organizations": 10,
    "family": 5,
}

DEFAULT_CATEGORIES: tuple[RequestCategory, ...] = (
    *(RequestCategory(cid, name, _TEN_LIMITS[cid]) for cid, name in CATEGORIES),
    RequestCategory("repair", "报修", 3),
    RequestCategory("help", "求助", 3),
    RequestCategory("question", "咨询", 1),
    RequestCategory("complaint", "投诉建议", 5),
    RequestCategory("home-service", "预约上门", 5),
)
"""The ten 服务类别 plus the five request kinds, with default limits a hall may change."""


def categories_by_id(
    categories: tuple[RequestCategory, ...] = DEFAULT_CATEGORIES,
) -> Mapping[str, RequestCategory]:
    """Look-up by id; a repeated id or a limit outside 1–60 is a ValueError."""
    found: dict[str, RequestCategory] = {}
    for category in categories:
        if category.id in found:
            raise ValueError(f"诉求类别重复：{category.id!r}")
        if not 1 <= category.limit_workdays <= 60:
            raise ValueError(f"“{category.name}”的办结时限应在 1–60 个工作日之间")
        found[category.id] = category
    return found


class Clock(StrEnum):
    ACCEPTANCE = "acceptance"
    CLOSING = "closing"


class Light(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


class Escalation(StrEnum):
    NONE = "none"
    LEADER = "leader"
    DISTRICT = "district"


@dataclass(frozen=True)
class DeadlineStatus:
    clock: Clock
    due: dt.datetime
    """When the running clock runs out (moves later while the request is paused)."""
    used: float
    """Working time spent ÷ the limit: 0.5 half-way, above 1 overdue."""
    light: Light
    escalation: Escalation
    paused: bool
    """In 待补充: the clock is stopped now."""
    left: dt.timedelta
    """Working time left (negative when overdue): the board sorts by it."""


def deadline_status(
    request: ServiceRequest,
    now: dt.datetime,
    calendar: WorkCalendar,
    *,
    district_after: int = DISTRICT_AFTER,
) -> DeadlineStatus | None:
    """How ``request`` stands at ``now``; None when no clock runs (closed or set aside).

    Raises :class:`~kiosk.core.workdays.UnknownCalendarYear` when the deadline needs a
    year nobody has entered: the board shows that, never a guessed date.
    """
    pauses: tuple[Pause, ...] = ()
    if request.state is State.REGISTERED:
        clock, start, limit = Clock.ACCEPTANCE, request.registered_at, ACCEPT_WITHIN
    elif request.state in WORKING_STATES and request.clock_start is not None:
        clock, start, limit = Clock.CLOSING, request.clock_start, request.limit_workdays
        pauses = request.pauses
        if request.paused_since is not None:
            pauses = (*pauses, (request.paused_since, max(now, request.paused_since)))
    else:
        return None
    due = calendar.add_workdays(start, limit, pauses=pauses)
    spent = calendar.working_time(start, now, pauses=pauses)
    used = spent / (WORKDAY * limit)
    if used > 1 or now > due:
        light = Light.RED
        late = calendar.working_time(due, now)
        escalation = Escalation.DISTRICT if late >= WORKDAY * district_after else Escalation.LEADER
    else:
        light = Light.AMBER if used >= AMBER_AT else Light.GREEN
        escalation = Escalation.NONE
    return DeadlineStatus(
        clock=clock,
        due=due,
        used=used,
        light=light,
        escalation=escalation,
        paused=request.paused_since is not None,
        left=WORKDAY * limit - spent,
    )


def follow_up_due(request: ServiceRequest, calendar: WorkCalendar) -> dt.datetime | None:
    """When the 回访 call is due; None if none is owed (anonymous, not closed, or done)."""
    if (
        request.state not in CLOSED_STATES
        or not request.named
        or request.followed_up_at is not None
        or request.closed_at is None
    ):
        return None
    return calendar.add_workdays(request.closed_at, FOLLOW_UP_WITHIN)


def follow_up_overdue(request: ServiceRequest, now: dt.datetime, calendar: WorkCalendar) -> bool:
    due = follow_up_due(request, calendar)
    return due is not None and now > due


def may_rate(request: ServiceRequest, now: dt.datetime) -> bool:
    """Whether the phone page offers 满意 / 基本满意 / 不满意 now (once, 14 days)."""
    return (
        request.state in CLOSED_STATES
        and request.satisfaction is None
        and request.closed_at is not None
        and now <= request.closed_at + RATING_WINDOW
    )


def offers_reopen(request: ServiceRequest) -> bool:
    """After 不满意 the phone page offers 申请重办 (the district's turn after two)."""
    return (
        request.state in CLOSED_STATES
        and request.satisfaction is Satisfaction.UNSATISFIED
        and not request.at_district
    )


#: The five faces of 好差评 (:class:`kiosk.core.ratings.Level`) → a request's three-level
#: 满意度: 非常满意 / 满意 → 满意, 基本满意 → 基本满意, 不满意 / 非常不满意 → 不满意.
LEVEL_SATISFACTION: Mapping[Level, Satisfaction] = {
    Level.VERY_SATISFIED: Satisfaction.SATISFIED,
    Level.SATISFIED: Satisfaction.SATISFIED,
    Level.FAIR: Satisfaction.FAIRLY,
    Level.UNSATISFIED: Satisfaction.UNSATISFIED,
    Level.VERY_UNSATISFIED: Satisfaction.UNSATISFIED,
}


def satisfaction_of(level: Level | str) -> Satisfaction:
    """The request's 满意度 for one of the five faces (ValueError for anything else)."""
    return LEVEL_SATISFACTION[Level(level)]
