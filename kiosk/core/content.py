"""The content a hall publishes to its kiosks, and its validation.

The words it is written in (the ten service categories, staff statuses, notice boards)
are :mod:`kiosk.core.hall_terms`'s, re-exported here.

A snapshot is one immutable JSON document per hall and version. Both halves of the
system parse it with :func:`parse_content`; a bad document raises
:class:`ContentError` whose message names the offending field in Chinese, e.g.
``services[3].steps[0].title：不能为空``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from annotated_types import Ge, Le
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from kiosk.core.clock import DEFAULT_TIMEZONE, hall_zone
from kiosk.core.hall_terms import CATEGORIES, CATEGORY_NAMES, NoticeBoard, StaffStatus
from kiosk.core.moments import AwareMoment, Day, Moment
from kiosk.core.validation_messages import error_message, field_path
from kiosk.core.values import Flag, Line, MultiLine, OneLine, Slug, WholeNumber

__all__ = [
    "CATEGORIES",
    "CATEGORY_NAMES",
    "Activity",
    "Brand",
    "Contact",
    "ContentError",
    "HallContent",
    "HallInfo",
    "Material",
    "Notice",
    "NoticeBoard",
    "OneOffEvent",
    "OpeningHours",
    "Queue",
    "Room",
    "Service",
    "Snapshot",
    "Staff",
    "StaffStatus",
    "Step",
    "parse_content",
    "parse_snapshot",
]

Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), OneLine
]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000), MultiLine]
HHMM = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
Weekday = Annotated[WholeNumber, Ge(1), Le(7)]  # ISO: 1 = Monday … 7 = Sunday
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Url = Annotated[str, StringConstraints(pattern=r"^https?://[^\s]{1,500}$")]
Phone = Annotated[str, StringConstraints(pattern=r"^[0-9+\-() ]{3,30}$")]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class OpeningHours(_Model):
    weekdays: list[Weekday] = Field(min_length=1)
    open: HHMM
    close: HHMM

    @model_validator(mode="after")
    def _open_before_close(self) -> OpeningHours:
        if self.open >= self.close:
            raise ValueError("开始时间必须早于结束时间")
        return self


class Brand(_Model):
    """The hall's "one committee, one brand" feature (一居一品牌)."""

    title: Text
    text: LongText = ""


class Contact(_Model):
    """A contact shown as a QR code on the about screen (WeChat, QQ mailbox, web)."""

    kind: Literal["wechat", "qq", "web", "email"]
    label: Text
    url: Annotated[str, StringConstraints(pattern=r"^(https?://|mailto:)[^\s]{1,500}$")]


class HallInfo(_Model):
    id: Slug
    name: Text
    short_name: Text
    street: Text
    address: Text
    timezone: Line = DEFAULT_TIMEZONE
    phone: Phone
    intro: LongText = ""
    brand: Brand
    opening_hours: list[OpeningHours] = Field(min_length=1)
    contacts: list[Contact] = []

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        hall_zone(value)
        return value

    @property
    def zone(self) -> ZoneInfo:
        return hall_zone(self.timezone)


class Queue(_Model):
    """A ticket queue of the hall: one letter prefix per category queue."""

    code: Annotated[str, StringConstraints(pattern=r"^[A-Z]$")]
    category: Line
    name: Text
    open: Flag = True
    windows: list[Annotated[WholeNumber, Ge(1), Le(99)]] = []

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        if value not in CATEGORY_NAMES:
            raise ValueError(f"未知的服务类别 {value!r}")
        return value


class Step(_Model):
    """One box of a service flowchart: who does what, and how long it takes."""

    title: Text
    actor: Text  # 居民 / 窗口工作人员 / 街道民政科 …
    detail: LongText = ""
    duration: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40), OneLine] = (
        ""  # 约10分钟 / 5个工作日
    )


class Material(_Model):
    name: Text
    copies: Annotated[WholeNumber, Ge(0), Le(20)] = 1  # 0: show without a count
    note: LongText = ""


class Service(_Model):
    id: Slug
    category: str
    name: Text
    summary: LongText = ""
    eligibility: list[Text] = []
    materials: list[Material] = []
    steps: list[Step] = Field(min_length=1)
    where: Text
    queue: Annotated[str, StringConstraints(pattern=r"^[A-Z]$")] | None = None
    online_url: Url | None = None

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        if value not in CATEGORY_NAMES:
            raise ValueError(f"未知的服务类别 {value!r}")
        return value


class Staff(_Model):
    id: Slug
    name: Text
    post: Text
    duties: list[Text] = []
    phone: Phone | None = None
    photo: Sha256 | None = None
    status: StaffStatus = StaffStatus.ON_DUTY
    status_until: AwareMoment | None = None  # expected return
    status_note: Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=100), OneLine
    ] = ""


class Activity(_Model):
    """A weekly recurring activity in a room (每周二、四 09:00–11:00 书法班)."""

    title: Text
    weekdays: list[Weekday] = Field(min_length=1)
    start: HHMM
    end: HHMM
    leader: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60), OneLine] = ""
    note: LongText = ""

    @model_validator(mode="after")
    def _start_before_end(self) -> Activity:
        if self.start >= self.end:
            raise ValueError("开始时间必须早于结束时间")
        return self


class OneOffEvent(_Model):
    """A one-off event in a room on one date."""

    title: Text
    date: Day
    start: HHMM
    end: HHMM
    note: LongText = ""

    @model_validator(mode="after")
    def _start_before_end(self) -> OneOffEvent:
        if self.start >= self.end:
            raise ValueError("开始时间必须早于结束时间")
        return self


class Room(_Model):
    id: Slug
    name: Text  # 书画室 / 舞蹈室 / 图书阅览室 …
    location: Text  # 二楼东侧
    hours: list[OpeningHours] = Field(min_length=1)
    activities: list[Activity] = []
    events: list[OneOffEvent] = []
    description: LongText = ""


class Notice(_Model):
    id: Slug
    board: NoticeBoard
    category: Text  # 法制宣传 / 科普教育 / 财务公开 …
    title: Text
    body: LongText
    publish_from: AwareMoment
    publish_until: AwareMoment | None = None
    pinned: Flag = False

    @model_validator(mode="after")
    def _window(self) -> Notice:
        if self.publish_until is not None and self.publish_until <= self.publish_from:
            raise ValueError("下架时间必须晚于发布时间")
        return self

    def is_published(self, now: dt.datetime) -> bool:
        """True while ``now`` (timezone-aware) lies inside the publish window."""
        if now < self.publish_from:
            return False
        return self.publish_until is None or now < self.publish_until


class HallContent(_Model):
    """Everything a kiosk shows for one hall."""

    schema_version: Literal[1] = 1
    hall: HallInfo
    queues: list[Queue] = []
    services: list[Service] = []
    staff: list[Staff] = []
    rooms: list[Room] = []
    notices: list[Notice] = []

    @model_validator(mode="after")
    def _references(self) -> HallContent:
        for name, items in (
            ("queues", [q.code for q in self.queues]),
            ("services", [s.id for s in self.services]),
            ("staff", [s.id for s in self.staff]),
            ("rooms", [r.id for r in self.rooms]),
            ("notices", [n.id for n in self.notices]),
        ):
            dupes = sorted({i for i in items if items.count(i) > 1})
            if dupes:
                raise ValueError(f"{name} 中编号重复：{'、'.join(dupes)}")
        codes = {q.code for q in self.queues}
        for i, service in enumerate(self.services):
            if service.queue is not None and service.queue not in codes:
                raise ValueError(f"services[{i}].queue：没有编号为 {service.queue} 的队列")
        return self

    def media_hashes(self) -> set[str]:
        """SHA-256 of every media file this content names (staff photos)."""
        return {s.photo for s in self.staff if s.photo}

    def published_notices(self, now: dt.datetime) -> list[Notice]:
        """Notices inside their publish window, pinned first, newest first."""
        shown = [n for n in self.notices if n.is_published(now)]
        shown.sort(key=lambda n: n.publish_from, reverse=True)
        shown.sort(key=lambda n: not n.pinned)
        return shown

    def queue(self, code: str) -> Queue | None:
        """The queue with this letter, or None."""
        return next((q for q in self.queues if q.code == code), None)

    def service(self, service_id: str) -> Service | None:
        """The service with this id, or None."""
        return next((s for s in self.services if s.id == service_id), None)

    def staff_member(self, staff_id: str) -> Staff | None:
        """The staff member with this id, or None."""
        return next((s for s in self.staff if s.id == staff_id), None)

    def room(self, room_id: str) -> Room | None:
        """The room with this id, or None."""
        return next((r for r in self.rooms if r.id == room_id), None)


class Snapshot(_Model):
    """The envelope the server publishes: one version of one hall's content."""

    hall_id: Slug
    version: Annotated[WholeNumber, Ge(1)]
    published_at: Moment
    content: HallContent

    @model_validator(mode="after")
    def _hall_matches(self) -> Snapshot:
        if self.content.hall.id != self.hall_id:
            raise ValueError("hall_id 与 content.hall.id 不一致")
        return self

    @property
    def etag(self) -> str:
        return f'"{self.hall_id}-v{self.version}"'


class ContentError(ValueError):
    """Content that failed validation; ``problems`` lists (field path, message)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        first = "；".join(f"{path}：{msg}" if path else msg for path, msg in problems[:5])
        more = f"（另有 {len(problems) - 5} 处）" if len(problems) > 5 else ""
        super().__init__(f"内容有误：{first}{more}")


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    return [(field_path(err["loc"]), error_message(err)) for err in exc.errors(include_url=False)]


def parse_content(data: Any) -> HallContent:
    """Validate a hall's content (a dict, or JSON text/bytes)."""
    try:
        if isinstance(data, str | bytes):
            return HallContent.model_validate_json(data)
        return HallContent.model_validate(data)
    except ValidationError as exc:
        raise ContentError(_problems(exc)) from None


def parse_snapshot(data: Any) -> Snapshot:
    """Validate a published snapshot envelope (a dict, or JSON text/bytes)."""
    try:
        if isinstance(data, str | bytes):
            return Snapshot.model_validate_json(data)
        return Snapshot.model_validate(data)
    except ValidationError as exc:
        raise ContentError(_problems(exc)) from None
