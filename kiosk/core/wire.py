"""The v1 wire: every JSON payload that crosses between kiosk and server.

Defined once here; the server (FastAPI) and the kiosk's sync client both import these
models, so the two halves cannot drift. Names follow direction: ``…Create`` is what a
client sends, ``…Public`` what the server answers.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from annotated_types import Ge, Le, Len
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from kiosk.core import moments
from kiosk.core.moments import AwareMoment, Moment
from kiosk.core.values import Count, Flag, Measure, MultiLine, OneLine, Slug, WholeNumber

__all__ = [
    "API_PREFIX",
    "IDEMPOTENCY_KEY_PATTERN",
    "PUBLIC_ID_PATTERN",
    "CallNext",
    "CareCommandName",
    "CareCommandPublic",
    "CareCommandsPublic",
    "CareLogCreate",
    "CategoryFigures",
    "ClosedSummary",
    "CounterPublic",
    "CountersPublic",
    "Day",
    "ErrorBody",
    "ErrorPublic",
    "EventPublic",
    "EventType",
    "EventsPublic",
    "HallPublic",
    "HallsPublic",
    "HealthPublic",
    "Heartbeat",
    "KioskQueuesPublic",
    "LeaseCreate",
    "LeasePublic",
    "LeasedNumber",
    "PublicFigures",
    "QueueWaitingPublic",
    "RatingCardPublic",
    "RatingCreate",
    "RatingFigures",
    "RatingPublic",
    "RatingStaffPublic",
    "RequestCategoriesPublic",
    "RequestCategoryPublic",
    "RequestCreate",
    "RequestPublicView",
    "RequestReceipt",
    "RequestStaffCreate",
    "RequestTimelineEntry",
    "RequestsLookupPublic",
    "SentTimestamp",
    "StaffStatusUpdate",
    "TicketBatchCreate",
    "TicketBatchItem",
    "TicketBatchPublic",
    "TicketBatchResult",
    "TicketCreate",
    "TicketPublic",
    "TicketState",
    "Timestamp",
    "TokenCreate",
    "TokenPublic",
    "Transfer",
    "WindowStaffUpdate",
]

API_PREFIX = "/api/v1"

QueueCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]$")]
#: A client-chosen idempotency key (a ticket's, in its body or the ``Idempotency-Key``
#: header): 8 to 100 URL-safe characters, dots and colons.
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_.:-]{8,100}$"
IdemKey = Annotated[str, StringConstraints(pattern=IDEMPOTENCY_KEY_PATTERN)]
#: A ticket's public id as a kiosk mints it (``kiosk.core.tickets.new_public_id``): exactly
#: 22 URL-safe characters, as many random bits as the server's own.
PUBLIC_ID_PATTERN = r"^[A-Za-z0-9_-]{22}$"
PublicId = Annotated[str, StringConstraints(pattern=PUBLIC_ID_PATTERN)]


Timestamp = Moment
"""A date and time on the wire: ISO 8601 text, never a number, 2000–2100
(:mod:`kiosk.core.moments`, the one date/time validator)."""

SentTimestamp = AwareMoment
"""A time a client sends: also with its UTC offset, so no side has to guess the zone."""

Day = moments.Day
"""A calendar day on the wire: ``2026-11-26``, never a number, 2000–2100."""


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TicketState(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


class ErrorBody(_Wire):
    code: str  # machine-readable: "invalid_request", "unknown_queue", "queue_empty" …
    message: str  # human-readable, Chinese where a person may read it
    field: str | None = None  # the offending field's path, where there is one


class ErrorPublic(_Wire):
    """Every 4xx answer: ``{"error": {"code": ..., "message": ...}}``."""

    error: ErrorBody


class HealthPublic(_Wire):
    """``GET /health``: 200 ``ok``, or 503 ``degraded`` with what is wrong in ``problems``
    (``storage_full``: writes fail for lack of room; ``database_unavailable``)."""

    status: Literal["ok", "degraded"]
    version: str
    database: Literal["sqlite", "postgresql"]
    time: Timestamp
    problems: list[ErrorBody] = []
    #: SQLite: this process writes the tickets of every process on the file (``owner``),
    #: hands its own to the owner (``handed``) or, with no owner reachable, writes its own
    #: (``alone``). Absent on PostgreSQL, where every process writes its own.
    tickets: Literal["owner", "handed", "alone"] | None = None


class HallPublic(_Wire):
    id: Slug
    name: str
    content_version: int | None


class HallsPublic(_Wire):
    halls: list[HallPublic]


class LeasedNumber(_Wire):
    """A number the kiosk took from one of its leases (or its fallback series)."""

    service_day: Day
    seq: Annotated[WholeNumber, Ge(1), Le(999)]
    text: Annotated[str, StringConstraints(pattern=r"^[A-Z]([0-9]{1,2}-)?[0-9]{3}$")]
    lease_id: Annotated[WholeNumber, Ge(1)] | None = (
        None  # None: the kiosk's fallback series ("A2-001")
    )


class TicketCreate(_Wire):
    """Issue a ticket. Header ``Idempotency-Key`` is required: same key, same ticket."""

    queue: QueueCode
    service_id: Slug | None = None
    priority: Flag = False  # 绿色通道
    issued_at: SentTimestamp | None = None  # the kiosk's clock when tapped; informative
    number: LeasedNumber | None = None  # pre-assigned offline; None: the server numbers
    # minted by the kiosk at take time (its QR code is printed at once); None, or one that
    # is already another ticket's: the server mints one. The answer's ``id`` is the ticket's.
    public_id: PublicId | None = None


class TicketPublic(_Wire):
    id: str  # the unguessable public id
    number: str  # "A012"
    hall_id: str
    queue: str
    service_id: str | None
    service_day: Day
    priority: bool
    state: TicketState
    issued_at: Timestamp
    called_at: Timestamp | None = None
    window: int | None = None
    people_ahead: int
    estimated_wait_minutes: int
    url: str  # the phone page, on the server's public address


class TicketBatchItem(TicketCreate):
    idempotency_key: IdemKey


class TicketBatchCreate(_Wire):
    tickets: list[TicketBatchItem] = Field(min_length=1, max_length=500)


class TicketBatchResult(_Wire):
    idempotency_key: str
    ticket: TicketPublic | None = None
    error: ErrorBody | None = None


class TicketBatchPublic(_Wire):
    results: list[TicketBatchResult]


class LeaseCreate(_Wire):
    queue: QueueCode
    count: Annotated[WholeNumber, Ge(1), Le(100)] = 20


class LeasePublic(_Wire):
    lease_id: int
    queue: str
    service_day: Day
    start: int  # first sequence number of the block, inclusive
    end: int  # last, inclusive


class QueueWaitingPublic(_Wire):
    """One queue of the hall as a kiosk or the hall display sees it right now."""

    queue: str
    waiting: int  # tickets waiting today (not yet called)
    estimated_wait_minutes: int  # for a ticket taken now, at the back of the queue


class KioskQueuesPublic(_Wire):
    """``GET /kiosk/queues``: today's waiting counts, the server's clock, this kiosk's number.

    ``time`` lets a kiosk with a wrong clock keep an offset; ``kiosk_no`` names its
    fallback series (``A{kiosk_no}-001``) so it can number offline before any lease.
    """

    time: Timestamp
    service_day: Day
    kiosk_no: int
    queues: list[QueueWaitingPublic]
    #: the server's public address: a ticket's phone page is ``{public_base_url}/t/{id}``
    public_base_url: str | None = None


class CounterPublic(_Wire):
    id: int
    hall_id: str
    window: int
    name: str
    queues: list[str]  # the queue codes this window serves by default
    current: TicketPublic | None = None


class CountersPublic(_Wire):
    counters: list[CounterPublic]


class CallNext(_Wire):
    queues: list[QueueCode] | None = None  # None: the counter's own queues


class Transfer(_Wire):
    queue: QueueCode


class EventType(StrEnum):
    CALL = "call"  # data: number, queue, window, recall (bool)
    #: data: number, queue, state, window, ticket_id (the public id), counter_id — any
    #: other state change (a rating device asks when state is "done" at its counter_id)
    TICKET = "ticket"
    CONTENT = "content"  # data: version
    STAFF_STATUS = "staff_status"  # data: staff_id, status, status_until, version
    CARE = "care"  # data: kiosk (device id) — that kiosk fetches GET /kiosk/care/commands
    REQUEST = "request"  # data: id, number, state — a request (诉求) changed; never personal data


class EventPublic(_Wire):
    seq: int
    type: EventType
    hall_id: str
    at: Timestamp
    data: dict[str, Any]


class EventsPublic(_Wire):
    events: list[EventPublic]
    last_seq: int  # pass as ``after`` next time


class Heartbeat(_Wire):
    app_version: Annotated[str, StringConstraints(max_length=40), OneLine]
    content_version: Annotated[WholeNumber, Ge(1)] | None = None
    #: Tickets waiting on the kiosk for delivery (a kiosk holds at most a few thousand).
    outbox_backlog: Annotated[Count, Le(1_000_000)] = 0
    last_sync: SentTimestamp | None = None
    last_error: Annotated[str, StringConstraints(max_length=500), MultiLine] | None = None
    uptime_s: Annotated[Measure, Ge(0)] = 0
    mode: Literal["kiosk", "display"] = "kiosk"
    #: A cheap hash of what is drawn (screen name and its visible text), and when it last
    #: changed: the fleet page's stuck-screen warning (kiosk/server/kiosk_care.py).
    screen_fingerprint: Annotated[str, StringConstraints(max_length=64), OneLine] | None = None
    screen_changed_at: SentTimestamp | None = None


#: What the fleet page may ask a kiosk to do over the event channel.
CareCommandName = Literal["screenshot", "logs", "restart"]


class CareCommandPublic(_Wire):
    id: str
    command: CareCommandName


class CareCommandsPublic(_Wire):
    """``GET /kiosk/care/commands``: the commands waiting for this kiosk (taken once)."""

    commands: list[CareCommandPublic]


class CareLogCreate(_Wire):
    """``POST /kiosk/care/logs``: the kiosk's recent log lines, oldest first."""

    lines: Annotated[list[Annotated[str, StringConstraints(max_length=500), OneLine]], Len(0, 300)]


class StaffStatusUpdate(_Wire):
    status: Literal["on_duty", "visiting", "meeting", "leave"]
    status_until: SentTimestamp | None = None
    status_note: Annotated[str, StringConstraints(max_length=100), OneLine] = ""


class TokenCreate(_Wire):
    username: Annotated[str, StringConstraints(min_length=1, max_length=64), OneLine]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256), OneLine]
    #: The ``device_token`` of an earlier good login of this account: its own, gentler
    #: attempt limit, untouched by anyone else's failures (docs/SERVER.md).
    device_token: Annotated[str, StringConstraints(max_length=200), OneLine] | None = None


class TokenPublic(_Wire):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: Timestamp
    #: Keep it and send it with the next login of this account (known device).
    device_token: str | None = None


# --- requests 诉求 (issue 13): the kiosk's and the phone's side of a request ---------------


def _phone(value: str) -> str:
    digits = "".join(value.split())
    if len(digits) != 11 or not digits.isascii() or not digits.isdigit() or digits[0] != "1":
        raise ValueError("手机号应为 1 开头的 11 位数字")
    return digits


def _location(value: str) -> str:
    text = "".join(value.split())
    if not re.fullmatch(r"[0-9]{1,3}-[0-9]{1,2}-[0-9]{1,4}", text):
        raise ValueError("地点请按“楼号-单元-室”填写，例如 3-2-501")
    return text


def _query_code(value: str) -> str:
    if not re.fullmatch(r"[0-9]{6}", value) or len(set(value)) == 1:
        raise ValueError("查询码应为 6 位数字（不能 6 位都相同）")
    return value


Phone = Annotated[str, StringConstraints(max_length=20), AfterValidator(_phone)]
"""A mobile number as typed (spaces allowed): 11 digits starting with 1."""
Location = Annotated[str, StringConstraints(max_length=20), AfterValidator(_location)]
"""Where in the compound: ``楼号-单元-室`` (``3-2-501``)."""
QueryCode = Annotated[str, StringConstraints(max_length=6), AfterValidator(_query_code)]
"""The receipt's 6-digit 查询码 (kiosk.core.request_numbers)."""
RequestText = Annotated[str, StringConstraints(min_length=1, max_length=500), MultiLine]
Phrase = Annotated[str, StringConstraints(min_length=1, max_length=40), OneLine]


class RequestCreate(_Wire):
    """``POST /requests`` from a kiosk (header ``Idempotency-Key``): what the resident tapped.

    The kiosk mints ``public_id`` and ``query_code`` so its receipt never waits for the
    network; the server numbers the request and computes its deadline.
    """

    public_id: PublicId
    query_code: QueryCode
    category: Slug
    phrases: Annotated[list[Phrase], Len(0, 10)] = []
    description: RequestText | None = None
    location: Location | None = None
    phone: Phone | None = None
    voice_note: Flag = False
    created_at: SentTimestamp


class RequestStaffCreate(_Wire):
    """``POST /requests`` from staff: a request taken at the window or on the phone."""

    channel: Literal["window", "phone", "visit", "diary", "other"]
    category: Slug
    description: RequestText
    location: Location | None = None
    name: Annotated[str, StringConstraints(min_length=1, max_length=40), OneLine] | None = None
    phone: Phone | None = None
    public_id: PublicId | None = None


class RequestReceipt(_Wire):
    id: str
    number: str
    query_code: str
    state: str
    state_label: str
    category_label: str
    deadline_text: str
    accept_by: Timestamp | None
    due_at: Timestamp | None
    phone_url: str


class RequestTimelineEntry(_Wire):
    at: Timestamp
    label: str
    note: str | None = None


class RequestPublicView(_Wire):
    """What anyone holding the 查询码 sees: never a name, phone, location or internal note."""

    number: str
    state: str
    state_label: str
    category_label: str
    deadline_text: str
    due_at: Timestamp | None
    closed: bool
    timeline: list[RequestTimelineEntry]


class RequestsLookupPublic(_Wire):
    requests: list[RequestPublicView]


class RequestCategoryPublic(_Wire):
    id: str
    label: str
    limit_workdays: int
    deadline_text: str
    phrases: list[str]


class RequestCategoriesPublic(_Wire):
    categories: list[RequestCategoryPublic]


class CategoryFigures(_Wire):
    category_label: str
    received: int
    closed: int
    closed_on_time: int


class ClosedSummary(_Wire):
    category_label: str
    summary: str
    closed_on: Day


class RatingFigures(_Wire):
    good_pct: float | None
    bad_followed_on_time: int
    bad_total: int


class PublicFigures(_Wire):
    """办理公开: a hall's month of requests, for the kiosk's public board."""

    month: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}$")]
    received: int
    closed: int
    closed_on_time: int
    satisfaction_pct: float | None
    by_category: list[CategoryFigures]
    latest: list[ClosedSummary]
    ratings: RatingFigures | None = None


# --- ratings (issue 14): the counter's rating device and the phone page ---------------

RatingLevel = Literal["very_satisfied", "satisfied", "fair", "unsatisfied", "very_unsatisfied"]
"""``kiosk.core.ratings.Level`` values, 非常满意 … 非常不满意."""
RatingReason = Literal[
    "attitude", "efficiency", "unfamiliar", "guide", "waiting", "environment", "other"
]
"""``kiosk.core.ratings.Reason`` values (态度 … 其他)."""
#: A mainland mobile number, 11 digits (实名评价).
MobilePhone = Annotated[str, StringConstraints(pattern=r"^1[3-9][0-9]{9}$")]


class RatingStaffPublic(_Wire):
    id: str  # the staff member's id in the hall's content
    name: str
    post: str
    photo: str | None = None  # the media URL (``/api/v1/media/<sha256>``, kiosk token)


class RatingCardPublic(_Wire):
    """``GET /counters/{counter_id}/rating-card``: what the rating device shows while idle."""

    counter_id: int
    window: str  # "3号窗口"
    staff: RatingStaffPublic | None = None  # None: nobody assigned to the window


class RatingCreate(_Wire):
    """``POST /ratings`` from a counter's rating device (``Idempotency-Key``: same key, same
    rating). Staff, service and window are taken from the ticket, never from the device."""

    ticket_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,40}$")]
    """The ticket's public id, as in the ``ticket`` event's ``ticket_id``."""
    counter_id: Annotated[WholeNumber, Ge(1)]
    level: RatingLevel | None = None  # None: 未评价 (nobody answered within 60 s)
    reasons: Annotated[list[RatingReason], Len(0, 7)] = []  # at least one for a 差评
    phone: MobilePhone | None = None  # left by the resident: 实名
    asked_at: SentTimestamp
    answered_at: SentTimestamp  # for 未评价: when the 60 s ran out


class RatingPublic(_Wire):
    id: int
    ticket_id: str | None = None  # public id
    request_id: str | None = None
    level: RatingLevel | None
    level_label: str  # "非常满意" … or "未评价"
    reasons: list[str]
    named: bool
    window: int | None = None
    created_at: Timestamp


class WindowStaffUpdate(_Wire):
    """``PUT /counters/{counter_id}/rating-card`` (staff): who sits at the window."""

    staff_id: Slug | None  # a staff id of the hall's content; None: nobody
