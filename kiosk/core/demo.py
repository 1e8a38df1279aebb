"""The demo content of 姚家街道's seven halls, read from ``config/demo``.

The files there are ordinary content JSON (see :mod:`kiosk.core.content`) with two
demo-only conveniences, resolved here so the demo looks alive on whatever day it runs:

* **Relative dates.** ``rooms[].events[].date`` may be ``"today"``, ``"+2d"``, ``"-1d"``
  or ``"+1wd"`` (working days); ``notices[].publish_from`` / ``publish_until`` and
  ``staff[].status_until`` may be a relative date with an optional local time
  (``"-10d 08:00"``, ``"+20d"`` = midnight, ``"+2wd 08:30"``, ``"today 17:30"``) or
  ``"now"`` with an offset in minutes or hours (``"now+90m"``, ``"now-2h"``). Dates are
  taken in the hall's own time zone. Absolute ISO values pass through unchanged.
* **A shared service catalog.** ``services.json`` holds every service once (one with a
  ``"halls"`` list only belongs to those halls); a hall file says which ones the hall
  offers (``"offers"``: ``"services"`` = ``"all"`` or a list of ids, ``"except"``,
  ``"where"`` = its service counter, ``"overrides"`` per service id). Each offered service
  is put in the hall's queue of its category and pointed at that queue's windows.

The hall order comes from ``halls.json``. Everything is validated with
:func:`kiosk.core.content.parse_content`; a bad file raises
:class:`~kiosk.core.content.ContentError` whose message names the file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.core import clock as wall_clock
from kiosk.core.clock import DEFAULT_TIMEZONE, HALL_TZ, hall_zone
from kiosk.core.content import ContentError, HallContent, parse_content

__all__ = [
    "DEMO_DIR",
    "demo_hall_ids",
    "demo_media",
    "load_demo_halls",
    "resolve_date",
    "resolve_datetime",
]

#: The repository's demo content folder.
DEMO_DIR: Path = Path(__file__).resolve().parents[2] / "config" / "demo"

_MIME_BY_SUFFIX = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
}

_REL_DATE = re.compile(r"^(?:today|([+-])(\d{1,4})(d|wd))$")
_REL_DATETIME = re.compile(
    r"^(?P<day>today|[+-]\d{1,4}w?d)(?: (?P<hh>[01]\d|2[0-3]):(?P<mm>[0-5]\d))?$"
)
_REL_NOW = re.compile(r"^now(?:(?P<sign>[+-])(?P<n>\d{1,5})(?P<unit>[mh]))?$")

#: Demo keys that the loader consumes; everything else must be plain content.
_OFFER_KEYS = {"services", "except", "where", "overrides"}


def resolve_date(value: Any, today: dt.date) -> Any:
    """``"today"`` / ``"+2d"`` / ``"-1d"`` / ``"+1wd"`` → an ISO date; else unchanged.

    ``wd`` counts working days (Monday to Friday; public holidays are not known here):
    ``"+1wd"`` on a Friday is the next Monday.
    """
    if not isinstance(value, str):
        return value
    match = _REL_DATE.match(value.strip())
    if match is None:
        return value
    if match.group(1) is None:
        return today.isoformat()
    count = int(match.group(2))
    step = dt.timedelta(days=1 if match.group(1) == "+" else -1)
    if match.group(3) == "d":
        return (today + step * count).isoformat()
    day = today
    while count > 0:
        day += step
        if day.isoweekday() <= 5:
            count -= 1
    return day.isoformat()


def resolve_datetime(value: Any, now: dt.datetime) -> Any:
    """A relative date-time → an ISO date-time in ``now``'s zone; anything else unchanged.

    ``"-10d 08:00"``, ``"+20d"`` (midnight), ``"+2wd 08:30"``, ``"today 17:30"``, ``"now"``,
    ``"now+90m"``.
    ``now`` must be timezone-aware and already in the hall's zone.
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    match = _REL_NOW.match(text)
    if match is not None:
        moment = now.replace(second=0, microsecond=0)
        if match.group("sign"):
            amount = int(match.group("n"))
            delta = (
                dt.timedelta(minutes=amount)
                if match.group("unit") == "m"
                else dt.timedelta(hours=amount)
            )
            moment = moment + delta if match.group("sign") == "+" else moment - delta
        return moment.isoformat()
    match = _REL_DATETIME.match(text)
    if match is None:
        return value
    day = dt.date.fromisoformat(resolve_date(match.group("day"), now.date()))
    clock = dt.time(int(match.group("hh") or 0), int(match.group("mm") or 0))
    return dt.datetime.combine(day, clock, tzinfo=now.tzinfo).isoformat()


def demo_hall_ids(root: Path | None = None) -> list[str]:
    """The demo halls' ids in display order, as listed in ``halls.json``."""
    base = root or DEMO_DIR
    index = _read_json(base, "halls.json")
    halls = index.get("halls") if isinstance(index, dict) else None
    if not isinstance(halls, list) or not all(isinstance(h, str) for h in halls) or not halls:
        raise ContentError([("halls.json 中的 halls", "应为大厅编号的列表")])
    return list(halls)


def demo_media(root: Path | None = None) -> dict[str, tuple[str, bytes]]:
    """Every demo media file: SHA-256 (hex) → (MIME type, bytes)."""
    media_dir = (root or DEMO_DIR) / "media"
    found: dict[str, tuple[str, bytes]] = {}
    if not media_dir.is_dir():
        return found
    for path in sorted(media_dir.iterdir()):
        mime = _MIME_BY_SUFFIX.get(path.suffix.lower())
        if mime is None or not path.is_file():
            continue
        data = path.read_bytes()
        found[hashlib.sha256(data).hexdigest()] = (mime, data)
    return found


def load_demo_halls(
    root: Path | None = None,
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> list[HallContent]:
    """The seven demo halls, validated, with relative dates resolved.

    ``today`` (a local date) and ``now`` (timezone-aware) pin the clock for tests; by
    default both are the current moment in each hall's time zone. With only ``today``
    given, ``now`` is 10:00 local time on that day.
    """
    base = root or DEMO_DIR
    catalog = _service_catalog(base)
    media = set(demo_media(base))
    return [
        _load_hall(base, hall_id, catalog, media, today=today, now=now)
        for hall_id in demo_hall_ids(base)
    ]


def _read_json(base: Path, rel: str) -> Any:
    path = base / rel
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError([(rel, f"找不到文件 {path}")]) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ContentError(
            [(rel, f"不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）")]
        ) from None


def _service_catalog(base: Path) -> dict[str, dict[str, Any]]:
    data = _read_json(base, "services.json")
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, list):
        raise ContentError([("services.json 中的 services", "应为服务的列表")])
    catalog: dict[str, dict[str, Any]] = {}
    for i, service in enumerate(services):
        if not isinstance(service, dict) or not isinstance(service.get("id"), str):
            raise ContentError([(f"services.json 中的 services[{i}].id", "缺少此项")])
        if service["id"] in catalog:
            raise ContentError([(f"services.json 中的 services[{i}].id", "编号重复")])
        catalog[service["id"]] = service
    return catalog


def _load_hall(
    base: Path,
    hall_id: str,
    catalog: dict[str, dict[str, Any]],
    media: set[str],
    *,
    today: dt.date | None,
    now: dt.datetime | None,
) -> HallContent:
    rel = f"halls/{hall_id}.json"
    raw = _read_json(base, rel)
    if not isinstance(raw, dict):
        raise ContentError([(rel, "应为对象")])
    zone = _hall_zone(raw)
    local_now = _local_now(zone, today=today, now=now)
    try:
        data = _expand(raw, catalog, local_now)
    except _DemoProblem as problem:
        raise ContentError([(f"{rel} 中的 {problem.path}", problem.message)]) from None
    try:
        content = parse_content(data)
    except ContentError as exc:
        raise ContentError(
            [(f"{rel} 中的 {path}" if path else rel, msg) for path, msg in exc.problems]
        ) from None
    if content.hall.id != hall_id:
        raise ContentError([(f"{rel} 中的 hall.id", f"应为 {hall_id}（与文件名一致）")])
    for i, person in enumerate(content.staff):
        if person.photo is not None and person.photo not in media:
            raise ContentError([(f"{rel} 中的 staff[{i}].photo", "media/ 中没有这张照片")])
    return content


class _DemoProblem(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}：{message}")
        self.path = path
        self.message = message


def _hall_zone(raw: dict[str, Any]) -> ZoneInfo:
    hall = raw.get("hall")
    name = hall.get("timezone", DEFAULT_TIMEZONE) if isinstance(hall, dict) else DEFAULT_TIMEZONE
    try:
        return hall_zone(str(name))
    except ValueError:
        # parse_content reports the bad zone with its path; resolve dates in China time.
        return HALL_TZ


def _local_now(zone: ZoneInfo, *, today: dt.date | None, now: dt.datetime | None) -> dt.datetime:
    if now is not None:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        local = now.astimezone(zone)
        if today is not None:
            local = dt.datetime.combine(today, local.timetz())
        return local
    if today is not None:
        return dt.datetime.combine(today, dt.time(10, 0), tzinfo=zone)
    return wall_clock.now(zone)


def _expand(
    raw: dict[str, Any], catalog: dict[str, dict[str, Any]], now: dt.datetime
) -> dict[str, Any]:
    """The hall file turned into plain content: services filled in, dates resolved."""
    data = {key: value for key, value in raw.items() if key != "offers"}
    if "services" in raw:
        raise _DemoProblem("services", "演示大厅文件请用 offers 从 services.json 选择服务")
    hall = raw.get("hall")
    hall_id = hall.get("id") if isinstance(hall, dict) else None
    data["services"] = _offered_services(raw.get("offers"), raw.get("queues"), catalog, hall_id)

    staff = data.get("staff")
    if isinstance(staff, list):
        data["staff"] = [
            {**p, "status_until": resolve_datetime(p["status_until"], now)}
            if isinstance(p, dict) and "status_until" in p
            else p
            for p in staff
        ]
    rooms = data.get("rooms")
    if isinstance(rooms, list):
        data["rooms"] = [_resolve_room(room, now.date()) for room in rooms]
    notices = data.get("notices")
    if isinstance(notices, list):
        data["notices"] = [
            {
                **n,
                **{
                    key: resolve_datetime(n[key], now)
                    for key in ("publish_from", "publish_until")
                    if key in n
                },
            }
            if isinstance(n, dict)
            else n
            for n in notices
        ]
    return data


def _resolve_room(room: Any, today: dt.date) -> Any:
    if not isinstance(room, dict) or not isinstance(room.get("events"), list):
        return room
    events = [
        {**e, "date": resolve_date(e["date"], today)} if isinstance(e, dict) and "date" in e else e
        for e in room["events"]
    ]
    return {**room, "events": events}


def _offered_services(
    offers: Any, queues: Any, catalog: dict[str, dict[str, Any]], hall_id: Any
) -> list[dict[str, Any]]:
    if offers is None:
        return []
    if not isinstance(offers, dict):
        raise _DemoProblem("offers", "应为对象")
    unknown = sorted(set(offers) - _OFFER_KEYS)
    if unknown:
        raise _DemoProblem(f"offers.{unknown[0]}", "不认识的字段")
    chosen = offers.get("services", "all")
    if chosen == "all":
        ids = [i for i, s in catalog.items() if hall_id in s.get("halls", [hall_id])]
    elif isinstance(chosen, list) and all(isinstance(i, str) for i in chosen):
        ids = list(chosen)
    else:
        raise _DemoProblem("offers.services", '应为 "all" 或服务编号的列表')
    excluded = offers.get("except", [])
    if not isinstance(excluded, list):
        raise _DemoProblem("offers.except", "应为服务编号的列表")
    overrides = offers.get("overrides", {})
    if not isinstance(overrides, dict):
        raise _DemoProblem("offers.overrides", "应为对象")
    for key, ids_to_check in (("services", ids), ("except", excluded), ("overrides", overrides)):
        for service_id in ids_to_check:
            if service_id not in catalog:
                raise _DemoProblem(f"offers.{key}", f"services.json 中没有服务 {service_id}")
    counter = offers.get("where", "社区居民服务大厅")
    if not isinstance(counter, str):
        raise _DemoProblem("offers.where", "应为文字")
    by_category = _queues_by_category(queues)

    services: list[dict[str, Any]] = []
    for service_id in ids:
        if service_id in excluded:
            continue
        service = {k: v for k, v in catalog[service_id].items() if k != "halls"}
        queue = by_category.get(str(service.get("category")))
        if queue is not None and "queue" not in service:
            service["queue"] = queue["code"]
        if "where" not in service:
            service["where"] = _counter_text(counter, queue)
        override = overrides.get(service_id, {})
        if not isinstance(override, dict):
            raise _DemoProblem(f"offers.overrides.{service_id}", "应为对象")
        service.update(override)
        services.append(service)
    return services


def _queues_by_category(queues: Any) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    if isinstance(queues, list):
        for queue in queues:
            if isinstance(queue, dict) and isinstance(queue.get("code"), str):
                found.setdefault(str(queue.get("category")), queue)
    return found


def _counter_text(counter: str, queue: dict[str, Any] | None) -> str:
    windows = queue.get("windows") if queue is not None else None
    if not isinstance(windows, list) or not windows:
        return counter
    return f"{counter} {'、'.join(str(w) for w in windows)}号窗口"
