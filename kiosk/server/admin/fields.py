"""Form fields of the content editor: how a value of the content model is shown in an
HTML form and read back from it, and which validation problem belongs beside which field.

A :class:`Field` names a key of an item (dots for nested keys: ``brand.title``) and a
kind; :func:`read_fields` turns a posted form into the item's values (with per-field
problems for input that cannot even be converted), :func:`problems_by_field` sorts the
``(path, message)`` problems of :class:`kiosk.core.content.ContentError` by field.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from kiosk.core.moments import check_day, check_moment
from kiosk.core.schedule import weekdays_text
from kiosk.core.values import check_text

if TYPE_CHECKING:  # web.py imports this module for the date and time hints
    from kiosk.server.admin.web import Posted

__all__ = [
    "DATETIME_HINT",
    "DATETIME_PATTERN",
    "DATE_HINT",
    "DATE_PATTERN",
    "TIME_HINT",
    "TIME_PATTERN",
    "Field",
    "form_values",
    "problems_by_field",
    "read_fields",
    "set_path",
    "typed_date",
    "typed_datetime",
    "typed_time",
    "weekday_text",
]

# Dates and times are typed as text (not <input type=date/time>, which a browser shows in
# its own locale: mm/dd/yyyy and 08:00 AM on an English one) in the one form a clerk in
# China writes and reads: 2026-12-02 and 08:30 (24-hour). These read what people type.
DATE_HINT = "2026-12-02"
TIME_HINT = "08:30"
DATETIME_HINT = f"{DATE_HINT} {TIME_HINT}"
# The same rules for the browser's pattern= (checked before NFKC, so full-width too).
_D = "[0-9０-９]"
DATE_PATTERN = rf"\s*{_D}{{4}}\s*[\-\/.．－年]\s*{_D}{{1,2}}\s*[\-\/.．－月]\s*{_D}{{1,2}}\s*日?\s*"
TIME_PATTERN = rf"\s*{_D}{{1,2}}\s*[:：.．点时]\s*{_D}{{2}}\s*分?\s*"
DATETIME_PATTERN = rf"{DATE_PATTERN}(?:\s|T){TIME_PATTERN}"
_DATE_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_TIME_TEXT = re.compile(r"(\d{1,2})\s*[:.点时]\s*(\d{2})\s*分?")


def _typed(text: str) -> str:
    # Full-width digits and colons from a Chinese input method → ASCII.
    return unicodedata.normalize("NFKC", text).strip()


def typed_date(text: str) -> dt.date:
    """``2026-12-02`` (also 2026/12/2, 2026.12.2, 2026年12月2日); ValueError otherwise."""
    match = _DATE_TEXT.fullmatch(_typed(text))
    if match is None:
        raise ValueError(f"日期格式不对，应为 {DATE_HINT}")
    try:
        day = dt.date(*(int(g) for g in match.groups()))
    except ValueError:
        raise ValueError(f"没有这一天，日期应为 {DATE_HINT} 这样") from None
    return check_day(day)  # the one range rule of dates (kiosk/core/moments.py)


def typed_time(text: str) -> str:
    """``08:30`` in 24-hour time (also 8:30, 8.30, 8点30); ValueError otherwise."""
    match = _TIME_TEXT.fullmatch(_typed(text))
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError(f"时间格式不对，应为 {TIME_HINT}（24 小时制）")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def typed_datetime(text: str, zone: ZoneInfo) -> dt.datetime:
    """``2026-12-02 08:30`` in ``zone`` (an ISO time with its own offset is kept)."""
    typed = _typed(text)
    if _DATE_TEXT.fullmatch(typed):
        raise ValueError(f"请把时间也填上，例如 {DATETIME_HINT}")
    try:
        moment = dt.datetime.fromisoformat(typed)
    except ValueError:
        parts = typed.rsplit(None, 1) if " " in typed else typed.rsplit("T", 1)
        if len(parts) != 2:
            raise ValueError(f"日期时间格式不对，应为 {DATETIME_HINT}") from None
        try:
            day, clock = typed_date(parts[0]), typed_time(parts[1])
        except ValueError:
            raise ValueError(f"日期时间格式不对，应为 {DATETIME_HINT}") from None
        hour, minute = (int(x) for x in clock.split(":"))
        moment = dt.datetime.combine(day, dt.time(hour, minute))
    return check_moment(moment.replace(tzinfo=zone) if moment.tzinfo is None else moment)


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    label: str
    #: text | textarea | lines | int | select | checkbox | datetime | date | time |
    #: weekdays | hours | contacts
    kind: str = "text"
    optional: bool = False  # empty → None (text, select, datetime)
    options: tuple[tuple[str, str], ...] = ()
    help: str = ""
    new_only: bool = False  # an id: set when the item is created, then fixed
    wide: bool = False

    @property
    def input_name(self) -> str:
        return "f_" + self.name.replace(".", "__")


def get_path(item: dict[str, Any], name: str) -> Any:
    value: Any = item
    for part in name.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def set_path(item: dict[str, Any], name: str, value: Any) -> None:
    parts = name.split(".")
    for part in parts[:-1]:
        item = item.setdefault(part, {})
    if value is None and parts[-1] in item:
        del item[parts[-1]]
    elif value is not None:
        item[parts[-1]] = value


def _days(days: list[int]) -> str:
    days = sorted(days)
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        return f"{days[0]}-{days[-1]}"
    return ",".join(str(d) for d in days)


def _show(field: Field, value: Any, zone: ZoneInfo) -> Any:
    if field.kind == "lines":
        return "\n".join(str(v) for v in value or [])
    if field.kind == "hours":
        return "\n".join(
            f"{_days(h.get('weekdays', []))} {h.get('open', '')}-{h.get('close', '')}"
            for h in value or []
        )
    if field.kind == "contacts":
        return "\n".join(
            f"{c.get('kind', '')} | {c.get('label', '')} | {c.get('url', '')}" for c in value or []
        )
    if field.kind == "datetime":
        if not value:
            return ""
        try:
            moment = dt.datetime.fromisoformat(str(value))
            if moment.tzinfo is not None:
                moment = moment.astimezone(zone)
        except (ValueError, OverflowError):
            return str(value)  # stored before the range rule: shown as it is, to be fixed
        return moment.strftime("%Y-%m-%d %H:%M")
    if field.kind == "weekdays":
        return list(value or [])
    if field.kind == "checkbox":
        return bool(value)
    return "" if value is None else str(value)


def form_values(fields: list[Field], item: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """name → what the form shows for it."""
    return {f.name: _show(f, get_path(item, f.name), zone) for f in fields}


_HOURS = re.compile(
    r"^\s*([1-7](?:\s*[-,，、]\s*[1-7])*)\s+([0-2]?\d:[0-5]\d)\s*[-–~至]\s*([0-2]?\d:[0-5]\d)\s*$"
)


def _parse_days(text: str) -> list[int]:
    days: set[int] = set()
    for part in re.split(r"[,，、]", text):
        part = part.strip()
        if "-" in part:
            a, b = (int(x) for x in part.split("-", 1))
            days.update(range(min(a, b), max(a, b) + 1))
        elif part:
            days.add(int(part))
    return sorted(days)


def _hhmm(text: str) -> str:
    hour, minute = text.split(":")
    return f"{int(hour):02d}:{minute}"


#: Inputs of several lines (a <textarea>); every other input is one line.
_MULTILINE = frozenset({"textarea", "lines", "hours", "contacts"})


def _read(field: Field, posted: Posted, zone: ZoneInfo) -> Any:
    """The field's value from the form; raises ValueError with a Chinese message."""
    key = field.input_name
    if field.kind == "checkbox":
        return posted.text(key) in ("1", "on", "true")
    if field.kind == "weekdays":
        days = sorted({int(v) for v in posted.values(key) if v.isdigit() and 1 <= int(v) <= 7})
        return days
    # The one text check of kiosk.core.values: no control characters (NUL, ESC, …);
    # newlines only where the input has several lines.
    raw = check_text(posted.text(key), multiline=field.kind in _MULTILINE)
    if field.kind in ("textarea",):
        value = posted.form.get(key)
        return check_text(value.strip(), multiline=True) if isinstance(value, str) else ""
    if field.kind == "lines":
        return [line.strip() for line in raw.splitlines() if line.strip()]
    if field.kind == "hours":
        out = []
        for n, line in enumerate(raw.splitlines(), 1):
            if not line.strip():
                continue
            match = _HOURS.match(line)
            if match is None:
                raise ValueError(f"第 {n} 行格式不对，应为“1-5 08:30-17:30”（星期 开始-结束）")
            out.append(
                {
                    "weekdays": _parse_days(match.group(1)),
                    "open": _hhmm(match.group(2)),
                    "close": _hhmm(match.group(3)),
                }
            )
        return out
    if field.kind == "contacts":
        out = []
        for n, line in enumerate(raw.splitlines(), 1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) != 3:
                raise ValueError(f"第 {n} 行格式不对，应为“wechat | 微信公众号 | https://…”")
            out.append({"kind": parts[0], "label": parts[1], "url": parts[2]})
        return out
    if not raw and field.optional:
        return None
    if field.kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise ValueError("应为整数") from None
    if field.kind == "datetime":
        if not raw:
            raise ValueError("请填写日期和时间")
        return typed_datetime(raw, zone).isoformat()
    if field.kind == "date":
        return typed_date(raw).isoformat()
    if field.kind == "time":
        return typed_time(raw)
    return raw


def read_fields(
    fields: list[Field], posted: Posted, zone: ZoneInfo, *, creating: bool
) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """(values to store, problems by field name, what to show again in the form)."""
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    shown: dict[str, Any] = {}
    for field in fields:
        if field.new_only and not creating:
            continue
        if field.kind == "weekdays":
            shown[field.name] = [int(v) for v in posted.values(field.input_name) if v.isdigit()]
        elif field.kind == "checkbox":
            shown[field.name] = posted.text(field.input_name) in ("1", "on", "true")
        else:
            value = posted.form.get(field.input_name)
            shown[field.name] = value if isinstance(value, str) else ""
        try:
            values[field.name] = _read(field, posted, zone)
        except ValueError as exc:
            problems[field.name] = str(exc)
    return values, problems, shown


def problems_by_field(
    problems: list[tuple[str, str]], prefix: str, fields: list[Field]
) -> tuple[dict[str, str], list[str]]:
    """Problems under ``prefix`` (``notices[2]``) sorted to fields; the rest as general."""
    names = sorted((f.name for f in fields), key=len, reverse=True)
    by_field: dict[str, str] = {}
    general: list[str] = []
    for path, message in problems:
        rest = None
        if prefix and path.startswith(prefix + "."):
            rest = path[len(prefix) + 1 :]
        elif not prefix:
            rest = path
        name = None
        if rest:
            for candidate in names:
                if rest == candidate or rest.startswith((candidate + ".", candidate + "[")):
                    name = candidate
                    break
        if name is not None:
            by_field.setdefault(name, message)
        else:
            general.append(f"{path}：{message}" if path and path != prefix else message)
    return by_field, general


def weekday_text(days: list[int]) -> str:
    """周二、周四 — for lists and previews."""
    try:
        return weekdays_text(days)
    except ValueError:
        return ""
