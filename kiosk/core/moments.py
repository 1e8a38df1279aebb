"""The one validator of dates and times: in content, on the wire and in the admin forms.

A date or time is ISO 8601 text (``2026-11-26``, ``2026-11-26T09:30:00+08:00``, ``…Z``),
never a number and never a numeric string (pydantic alone reads ``0``, ``1.5e9`` and
``"1700000000"`` as Unix times), and it lies between :data:`EARLIEST` and :data:`LATEST`
(2000-01-01 … 2100-12-31, in any time zone). Anything else is refused with a message in
Chinese that the callers put beside the field's name. Inside that range every value can
be moved to any UTC offset and formatted without overflowing, which a kiosk relies on:
``9999-12-31T23:59:59+00:00`` shown in Asia/Shanghai is the year 10000, an OverflowError.

Use the pydantic types in models (:data:`Moment`, :data:`AwareMoment`, :data:`Day`) and
:func:`parse_moment` / :func:`parse_day` / :func:`check_range` for form input.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator

__all__ = [
    "EARLIEST",
    "LATEST",
    "AwareMoment",
    "Day",
    "Moment",
    "check_day",
    "check_moment",
    "parse_day",
    "parse_moment",
]

#: The first and last day any date or time may fall on (its own offset's calendar).
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)

_RANGE = f"{EARLIEST.year}-01-01 至 {LATEST.year}-12-31"

# Date, "T", hours and minutes, optional seconds and fraction, optional offset.
_MOMENT = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?$",
)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_NOT_TEXT = "须为 ISO 8601 日期时间文本，例如 2026-11-26T09:30:00+08:00，不能是数字"
_BAD_MOMENT = "日期时间格式不对，应为 ISO 8601，例如 2026-11-26T09:30:00+08:00"
_BAD_DAY = "日期格式不对，应为 2026-11-26"
_NEEDS_OFFSET = "时间须带时区，例如 2026-11-26T09:30:00+08:00"


def check_day(day: dt.date) -> dt.date:
    """``day`` if it lies in the sane range, else ValueError (Chinese)."""
    if not EARLIEST <= day <= LATEST:
        raise ValueError(f"日期超出范围，须在 {_RANGE} 之间")
    return day


def check_moment(moment: dt.datetime) -> dt.datetime:
    """``moment`` if its date, in its own zone and in UTC, lies in the sane range."""
    check_day(moment.date())
    if moment.utcoffset() is not None:
        # The UTC instant may be a day either side of the wall date: keep both inside,
        # so moving it to any zone (±14 h) stays a representable datetime.
        try:
            check_day(moment.astimezone(dt.UTC).date())
        except (OverflowError, ValueError):
            raise ValueError(f"日期超出范围，须在 {_RANGE} 之间") from None
    return moment


def parse_moment(text: str, *, zone: dt.tzinfo | None = None) -> dt.datetime:
    """ISO 8601 text → datetime in the sane range; naive text gets ``zone`` when given.

    Raises ValueError with a Chinese message (for forms and models alike).
    """
    text = text.strip()
    if not _MOMENT.match(text):
        if re.fullmatch(r"[+-]?\d+(\.\d*)?([eE][+-]?\d+)?", text):
            raise ValueError(_NOT_TEXT)
        raise ValueError(_BAD_MOMENT)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(_BAD_MOMENT) from None
    if moment.tzinfo is None and zone is not None:
        moment = moment.replace(tzinfo=zone)
    return check_moment(moment)


def parse_day(text: str) -> dt.date:
    """``2026-11-26`` → date in the sane range; ValueError (Chinese) otherwise."""
    text = text.strip()
    if not _DAY.match(text):
        raise ValueError(_BAD_DAY)
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(_BAD_DAY) from None
    return check_day(day)


def _moment(value: object) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return check_moment(value)
    if isinstance(value, str):
        return parse_moment(value)
    if isinstance(value, bool | int | float):
        raise ValueError(_NOT_TEXT)
    raise ValueError(_BAD_MOMENT)


def _day(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ValueError(_BAD_DAY)
    if isinstance(value, dt.date):
        return check_day(value)
    if isinstance(value, str):
        return parse_day(value)
    if isinstance(value, bool | int | float):
        raise ValueError("须为日期文本，例如 2026-11-26，不能是数字")
    raise ValueError(_BAD_DAY)


def _with_offset(value: dt.datetime) -> dt.datetime:
    if value.utcoffset() is None:
        raise ValueError(_NEEDS_OFFSET)
    return value


Moment = Annotated[dt.datetime, BeforeValidator(_moment)]
"""A date and time: ISO 8601 text (never a number), in the sane range."""

AwareMoment = Annotated[Moment, AfterValidator(_with_offset)]
"""A :data:`Moment` that also carries its UTC offset, so no side has to guess the zone."""

Day = Annotated[dt.date, BeforeValidator(_day)]
"""A calendar day: ``2026-11-26``, never a number, in the sane range."""
