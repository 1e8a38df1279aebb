"""The content model: good content parses, bad content names the field in Chinese."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from kiosk.core.clock import DEFAULT_TIMEZONE, HALL_TZ
from kiosk.core.content import (
    CATEGORIES,
    CATEGORY_NAMES,
    ContentError,
    HallContent,
    Notice,
    NoticeBoard,
    StaffStatus,
    parse_content,
    parse_snapshot,
)
from kiosk.core.values import is_slug

SH = HALL_TZ
PHOTO = "ab" * 32


def good_content() -> dict[str, Any]:
    """A small but complete hall, touching every model."""
    return {
        "schema_version": 1,
        "hall": {
            "id": "mingshi-haoting",
            "name": "明石好庭居委会",
            "short_name": "明石好庭",
            "street": "姚家街道",
            "address": "济南市历下区姚家街道明石好庭小区1号",
            "timezone": DEFAULT_TIMEZONE,
            "phone": "0531-88886666",
            "intro": "服务居民，温暖邻里。",
            "brand": {"title": "邻里守望", "text": "志愿者结对帮扶独居老人。"},
            "opening_hours": [
                {"weekdays": [1, 2, 3, 4, 5], "open": "08:30", "close": "17:30"},
                {"weekdays": [6], "open": "09:00", "close": "12:00"},
            ],
            "contacts": [
                {"kind": "wechat", "label": "微信公众号", "url": "https://weixin.qq.com/r/abc"},
                {"kind": "email", "label": "QQ邮箱", "url": "mailto:hall@qq.com"},
            ],
        },
        "queues": [
            {"code": "A", "category": "assistance", "name": "帮扶救助", "windows": [1, 2]},
            {"code": "B", "category": "elderly", "name": "居家养老", "open": False},
        ],
        "services": [
            {
                "id": "dibao",
                "category": "assistance",
                "name": "最低生活保障申请",
                "summary": "家庭收入低于本市低保标准的居民可申请。",
                "eligibility": ["本市户籍", "家庭人均收入低于低保标准"],
                "materials": [
                    {"name": "身份证", "copies": 1},
                    {"name": "户口簿", "copies": 0, "note": "原件"},
                ],
                "steps": [
                    {"title": "提交申请", "actor": "居民", "duration": "约10分钟"},
                    {"title": "入户调查", "actor": "窗口工作人员", "duration": "5个工作日"},
                    {"title": "审批", "actor": "街道民政科"},
                ],
                "where": "一楼 1 号窗口",
                "queue": "A",
                "online_url": "https://example.gov.cn/dibao",
            },
            {
                "id": "yanglao-butie",
                "category": "elderly",
                "name": "高龄津贴",
                "steps": [{"title": "登记", "actor": "居民"}],
                "where": "一楼 2 号窗口",
            },
        ],
        "staff": [
            {
                "id": "wang-li",
                "name": "王丽",
                "post": "居委会主任",
                "duties": ["全面工作", "党建"],
                "phone": "0531-88886666",
                "photo": PHOTO,
                "status": "visiting",
                "status_until": "2026-11-26T15:00:00+08:00",
                "status_note": "入户走访",
            },
            {"id": "li-qiang", "name": "李强", "post": "网格员"},
        ],
        "rooms": [
            {
                "id": "shuhua",
                "name": "书画室",
                "location": "二楼东侧",
                "hours": [{"weekdays": [1, 2, 3, 4, 5], "open": "08:30", "close": "17:30"}],
                "activities": [
                    {"title": "书法班", "weekdays": [2, 4], "start": "09:00", "end": "11:00"}
                ],
                "events": [
                    {"title": "书法展", "date": "2026-11-26", "start": "10:00", "end": "12:00"}
                ],
            }
        ],
        "notices": [
            notice("fazhi", "2026-11-01T08:00:00+08:00", None),
            notice("caiwu", "2026-11-20T08:00:00+08:00", "2026-12-01T00:00:00+08:00"),
        ],
    }


def notice(
    nid: str, start: str, until: str | None, *, pinned: bool = False, board: str = "publicity"
) -> dict[str, Any]:
    return {
        "id": nid,
        "board": board,
        "category": "法制宣传",
        "title": f"通知 {nid}",
        "body": "正文",
        "publish_from": start,
        "publish_until": until,
        "pinned": pinned,
    }


def test_good_content_parses() -> None:
    content = parse_content(good_content())
    assert isinstance(content, HallContent)
    assert content.hall.zone == SH
    assert content.services[0].steps[1].actor == "窗口工作人员"
    assert content.staff[0].status is StaffStatus.VISITING
    assert content.staff[0].status.label == "外出走访"
    assert content.staff[1].status is StaffStatus.ON_DUTY
    assert content.staff[0].status_until == dt.datetime(2026, 11, 26, 15, 0, tzinfo=SH)
    assert content.rooms[0].events[0].date == dt.date(2026, 11, 26)
    assert content.notices[0].board is NoticeBoard.PUBLICITY
    assert content.media_hashes() == {PHOTO}


def test_look_ups_by_id() -> None:
    content = parse_content(good_content())
    assert content.queue("B") is content.queues[1]
    assert content.service("yanglao-butie") is content.services[1]
    assert content.staff_member("li-qiang") is content.staff[1]
    assert content.room("shuhua") is content.rooms[0]
    assert content.queue("Z") is None
    assert content.service("A") is content.staff_member("dibao") is content.room("x") is None


def test_json_text_and_bytes_parse_the_same() -> None:
    data = good_content()
    text = json.dumps(data, ensure_ascii=False)
    assert parse_content(text) == parse_content(data) == parse_content(text.encode())


def test_content_is_frozen() -> None:
    content = parse_content(good_content())
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
        content.hall.name = "别的"  # type: ignore[misc]


def test_text_is_stripped() -> None:
    data = good_content()
    data["hall"]["name"] = "  明石好庭居委会\n"
    assert parse_content(data).hall.name == "明石好庭居委会"


def test_categories() -> None:
    assert len(CATEGORIES) == 10
    assert CATEGORY_NAMES["elderly"] == "居家养老"
    assert [name for _, name in CATEGORIES][:2] == ["党员教育", "平安秩序"]


Edit = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Edit:
    """An edit that sets ``value`` at a dotted path ("services.0.steps.0.title")."""

    def edit(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value

    return edit


def _drop(path: str) -> Edit:
    def edit(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        del node[last]

    return edit


BAD_FIELDS: list[tuple[Edit, str, str]] = [
    (_set("services.0.steps.0.title", "   "), "services[0].steps[0].title", "不能为空"),
    (_drop("hall.name"), "hall.name", "缺少此项"),
    (_set("hall.colour", "red"), "hall.colour", "不认识的字段"),
    (_set("hall.id", "Mingshi Haoting"), "hall.id", "格式不对"),
    (_set("hall.phone", "call me"), "hall.phone", "格式不对"),
    (_set("hall.timezone", "Mars/Olympus"), "hall.timezone", "未知的时区"),
    (_set("hall.opening_hours", []), "hall.opening_hours", "至少需要一项"),
    (_set("hall.opening_hours.0.weekdays.0", 8), "hall.opening_hours[0].weekdays[0]", "数值太大"),
    (_set("hall.opening_hours.0.weekdays.0", 0), "hall.opening_hours[0].weekdays[0]", "数值太小"),
    (_set("hall.opening_hours.0.open", "8:30"), "hall.opening_hours[0].open", "格式不对"),
    (_set("hall.opening_hours.0.close", "24:00"), "hall.opening_hours[0].close", "格式不对"),
    (_set("hall.opening_hours.0.close", "08:00"), "hall.opening_hours[0]", "开始时间必须早于"),
    (_set("hall.contacts.0.kind", "telegram"), "hall.contacts[0].kind", "不是允许的取值"),
    (_set("hall.contacts.0.url", "javascript:alert(1)"), "hall.contacts[0].url", "格式不对"),
    (_set("hall.brand", "邻里守望"), "hall.brand", "应为对象"),
    (_set("hall.name", "长" * 201), "hall.name", "文字太长"),
    (_set("hall.name", 42), "hall.name", "应为文字"),
    (_set("queues.0.code", "AA"), "queues[0].code", "格式不对"),
    (_set("queues.0.category", "sports"), "queues[0].category", "未知的服务类别"),
    (_set("queues.0.windows.0", 100), "queues[0].windows[0]", "数值太大"),
    (_set("queues.0.windows", "1,2"), "queues[0].windows", "应为列表"),
    (_set("queues.1.open", "maybe"), "queues[1].open", "应为是/否"),
    (_set("services.0.steps", []), "services[0].steps", "至少需要一项"),
    (_set("services.0.category", "sport"), "services[0].category", "未知的服务类别"),
    (_set("services.0.materials.0.copies", 21), "services[0].materials[0].copies", "数值太大"),
    (_set("services.0.materials.0.copies", "two"), "services[0].materials[0].copies", "应为整数"),
    (_set("services.0.online_url", "ftp://x"), "services[0].online_url", "格式不对"),
    (_set("services.1.eligibility", [""]), "services[1].eligibility[0]", "不能为空"),
    (_set("staff.0.photo", "not-a-hash"), "staff[0].photo", "格式不对"),
    (_set("staff.0.status", "asleep"), "staff[0].status", "不是允许的取值"),
    (_set("staff.0.status_until", "2026-11-26T15:00:00"), "staff[0].status_until", "时区"),
    (_set("staff.0.status_until", "tomorrow"), "staff[0].status_until", "日期时间格式不对"),
    (_set("rooms.0.activities.0.weekdays", []), "rooms[0].activities[0].weekdays", "至少需要"),
    (_set("rooms.0.activities.0.end", "09:00"), "rooms[0].activities[0]", "开始时间必须早于"),
    (_set("rooms.0.events.0.date", "2026-13-01"), "rooms[0].events[0].date", "日期格式不对"),
    (_set("rooms.0.events.0.end", "10:00"), "rooms[0].events[0]", "开始时间必须早于"),
    (_set("notices.0.board", "wall"), "notices[0].board", "不是允许的取值"),
    (_set("notices.0.publish_from", "2026-11-01T08:00:00"), "notices[0].publish_from", "须带时区"),
    (
        _set("notices.1.publish_until", "2026-11-20T08:00:00+08:00"),
        "notices[1]",
        "下架时间必须晚于发布时间",
    ),
    (_set("schema_version", 2), "schema_version", "不是允许的取值"),
]


@pytest.mark.parametrize(("edit", "path", "message"), BAD_FIELDS, ids=[p for _, p, _ in BAD_FIELDS])
def test_bad_field_is_named(edit: Edit, path: str, message: str) -> None:
    data = good_content()
    edit(data)
    with pytest.raises(ContentError) as caught:
        parse_content(data)
    problems = caught.value.problems
    assert any(p == path and message in m for p, m in problems), problems
    assert str(caught.value).startswith("内容有误：")
    assert f"{path}：" in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_every_problem_is_reported_in_chinese() -> None:
    data = good_content()
    for edit, _, _ in BAD_FIELDS:
        # Later edits may reach into a part an earlier one replaced; skip those.
        with contextlib.suppress(KeyError, IndexError, TypeError):
            edit(data)
    with pytest.raises(ContentError) as caught:
        parse_content(data)
    problems = caught.value.problems
    assert len(problems) >= 20
    for _, message in problems:
        assert any("\u4e00" <= c <= "\u9fff" for c in message), message
    assert "另有" in str(caught.value)  # only the first five are spelled out


@pytest.mark.parametrize(
    ("kind", "duplicate"),
    [
        ("queues", {"code": "A", "category": "party", "name": "党员"}),
        ("services", {"id": "dibao", "category": "party", "name": "x", "steps": [], "where": "w"}),
        ("staff", {"id": "li-qiang", "name": "李强二", "post": "网格员"}),
        ("notices", notice("fazhi", "2026-11-01T08:00:00+08:00", None)),
    ],
)
def test_duplicate_ids(kind: str, duplicate: dict[str, Any]) -> None:
    data = good_content()
    if kind == "services":
        duplicate["steps"] = [{"title": "t", "actor": "居民"}]
    data[kind].append(duplicate)
    with pytest.raises(ContentError, match=f"{kind} 中编号重复"):
        parse_content(data)


def test_duplicate_rooms() -> None:
    data = good_content()
    data["rooms"].append(copy.deepcopy(data["rooms"][0]))
    with pytest.raises(ContentError, match="rooms 中编号重复：shuhua"):
        parse_content(data)


def test_service_naming_a_missing_queue() -> None:
    data = good_content()
    data["services"][1]["queue"] = "Z"
    with pytest.raises(ContentError, match=r"services\[1\]\.queue：没有编号为 Z 的队列"):
        parse_content(data)


def test_invalid_json() -> None:
    with pytest.raises(ContentError, match="不是有效的 JSON"):
        parse_content("{not json")


def test_not_an_object() -> None:
    with pytest.raises(ContentError, match="应为对象"):
        parse_content([1, 2])


def test_slugs() -> None:
    assert is_slug("mingshi-haoting")
    assert is_slug("a1")
    assert not is_slug("-a")
    assert not is_slug("A")
    assert not is_slug("明石")
    assert not is_slug("a" * 64)


def at(day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, tzinfo=SH)


@pytest.mark.parametrize(
    ("now", "published"),
    [
        (at(19, 23), False),  # before the window
        (at(20, 8), True),  # from is inclusive
        (at(30, 23), True),
        (at(30, 23).astimezone(dt.UTC), True),  # any zone, same instant
        (dt.datetime(2026, 12, 1, 0, tzinfo=SH), False),  # until is exclusive
    ],
)
def test_notice_publish_window(now: dt.datetime, published: bool) -> None:
    n = Notice.model_validate(
        notice("caiwu", "2026-11-20T08:00:00+08:00", "2026-12-01T00:00+08:00")
    )
    assert n.is_published(now) is published


def test_notice_without_end_stays_published() -> None:
    n = Notice.model_validate(notice("x", "2026-11-20T08:00:00+08:00", None))
    assert n.is_published(dt.datetime(2036, 1, 1, tzinfo=dt.UTC))


def test_published_notices_pinned_first_then_newest() -> None:
    data = good_content()
    data["notices"] = [
        notice("old", "2026-10-01T08:00:00+08:00", None),
        notice("new", "2026-11-25T08:00:00+08:00", None, board="disclosure"),
        notice("pinned-old", "2026-09-01T08:00:00+08:00", None, pinned=True),
        notice("future", "2026-12-25T08:00:00+08:00", None, pinned=True),
        notice("expired", "2026-10-01T08:00:00+08:00", "2026-11-01T08:00:00+08:00"),
    ]
    content = parse_content(data)
    shown = [n.id for n in content.published_notices(at(26, 9))]
    assert shown == ["pinned-old", "new", "old"]
    assert content.notices[1].board.label == "居民公开栏"


def snapshot(**overrides: Any) -> dict[str, Any]:
    data = {
        "hall_id": "mingshi-haoting",
        "version": 3,
        "published_at": "2026-11-26T08:00:00+08:00",
        "content": good_content(),
    }
    data.update(overrides)
    return data


def test_snapshot() -> None:
    snap = parse_snapshot(json.dumps(snapshot(), ensure_ascii=False))
    assert snap.version == 3
    assert snap.etag == '"mingshi-haoting-v3"'
    assert snap.content.hall.short_name == "明石好庭"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"hall_id": "other-hall"}, "hall_id 与 content.hall.id 不一致"),
        ({"version": 0}, "version：数值太小"),
        ({"content": {"hall": {}}}, "content.hall.id：缺少此项"),
    ],
)
def test_bad_snapshot(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ContentError, match=message):
        parse_snapshot(snapshot(**overrides))
