"""What the request store hands out: frozen records, timeline entries, board pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kiosk.core.request_deadlines import Escalation, Light, RequestCategory
from kiosk.core.service_requests import ServiceRequest, State

__all__ = [
    "BoardPage",
    "BoardRow",
    "HallRequestCategory",
    "RequestRecord",
    "RequestStats",
    "TimelineEntry",
]


@dataclass(frozen=True)
class RequestRecord:
    """One stored request: the rules' view (``core``) and what the server keeps besides."""

    core: ServiceRequest
    hall_id: str
    number: str
    query_code: str
    category: str
    description: str
    location: str | None
    name: str | None
    """In clear, for staff pages only (None when not asked for or not given)."""
    phone: str | None
    channel: str
    staff_id: int | None
    due_at: dt.datetime | None
    """The running clock's deadline when it last changed; the last one once closed."""
    publishable: bool
    public_summary: str | None
    household_id: int | None
    diary_entry_id: int | None
    rating_level: str | None
    voice_note: bool
    created_at: dt.datetime

    @property
    def id(self) -> str:
        return self.core.id

    @property
    def state(self) -> State:
        return self.core.state


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    label: str
    note: str | None
    public: bool
    action: str
    actor_role: str


@dataclass(frozen=True)
class HallRequestCategory:
    """A category as a hall offers it: the core category, its phrases, on or off."""

    core: RequestCategory
    phrases: tuple[str, ...]
    enabled: bool

    @property
    def id(self) -> str:
        return self.core.id

    @property
    def label(self) -> str:
        return self.core.name


@dataclass(frozen=True)
class BoardRow:
    id: str
    hall_id: str
    number: str
    category: str
    category_label: str
    state: State
    summary: str
    location: str | None
    channel: str
    staff_id: int | None
    registered_at: dt.datetime
    due_at: dt.datetime | None
    light: Light | None
    """None when no clock runs (closed, set aside) or the calendar lacks the year."""
    escalation: Escalation
    paused: bool
    problem: str | None = None
    """Why no light could be computed (an unknown calendar year), for the board."""


@dataclass(frozen=True)
class BoardPage:
    rows: list[BoardRow]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True)
class RequestStats:
    hall_id: str
    month: str
    received: int
    closed: int
    closed_on_time: int
    rated: int
    satisfied: int
    """满意 or 基本满意."""
    open_overdue: int
