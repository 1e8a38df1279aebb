"""The demo content of 姚家街道's seven halls and its loader (kiosk.core.demo)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import struct
from pathlib import Path
from typing import Any

import pytest

from kiosk.core.clock import HALL_TZ
from kiosk.core.content import CATEGORIES, ContentError, HallContent
from kiosk.core.demo import (
    DEMO_DIR,
    demo_hall_ids,
    demo_media,
    load_demo_halls,
    resolve_date,
    resolve_datetime,
)

SHANGHAI = HALL_TZ
TODAY = dt.date(2026, 3, 4)  # a Wednesday
NOW = dt.datetime(2026, 3, 4, 10, 0, tzinfo=SHANGHAI)
SEVEN = [
    "mingshi-haoting",
    "mingshi-haoting-2",
    "xiandai-yicheng",
    "jiefang-donglu",
    "youyi-yuan",
    "sanjian-pingan-yuan",
    "huayang",
]
QUEUE_LETTER = {category: "ABCDEFGHIJ"[i] for i, (category, _) in enumerate(CATEGORIES)}


@pytest.fixture(scope="module")
def halls() -> list[HallContent]:
    return load_demo_halls(today=TODAY)


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    root = tmp_path / "demo"
    shutil.copytree(DEMO_DIR, root)
    return root


def _edit(path: Path, change: Any) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_demo_dir_is_the_repository_config_folder() -> None:
    assert Path(__file__).resolve().parents[2] / "config" / "demo" == DEMO_DIR
    assert (DEMO_DIR / "halls.json").is_file()


def test_the_seven_halls_load_in_the_report_order(halls: list[HallContent]) -> None:
    assert [h.hall.id for h in halls] == SEVEN
    assert demo_hall_ids() == SEVEN
    assert [h.hall.short_name for h in halls] == [
        "名士豪庭",
        "名士豪庭第二",
        "现代逸城",
        "解放东路",
        "友谊苑",
        "三箭平安苑",
        "华阳",
    ]
    for hall in halls:
        assert hall.hall.street == "姚家街道"
        assert hall.hall.name == f"{hall.hall.short_name}社区居委会"
        assert "历下区" in hall.hall.address
        assert hall.hall.brand.title and hall.hall.brand.text


def test_seed_brands_are_kept(halls: list[HallContent]) -> None:
    by_id = {h.hall.id: h for h in halls}
    first = by_id["mingshi-haoting"].hall.brand
    assert first.title == "一老一少"
    assert "山东仁和妇婴" in first.text
    assert "智慧" in by_id["mingshi-haoting-2"].hall.brand.title
    assert "书画" in by_id["jiefang-donglu"].hall.brand.title


def test_each_hall_is_sized_like_a_real_hall(halls: list[HallContent]) -> None:
    for hall in halls:
        name = hall.hall.id
        assert 5 <= len(hall.staff) <= 8, name
        assert 4 <= len(hall.rooms) <= 7, name
        assert 4 <= len(hall.notices) <= 8, name
        assert len(hall.services) >= 20, name
        assert 1 <= sum(len(r.events) for r in hall.rooms) <= 3, name
        with_photo = [s for s in hall.staff if s.photo]
        assert len(hall.staff) // 2 < len(with_photo) < len(hall.staff), name
        statuses = {s.status.value for s in hall.staff}
        assert "on_duty" in statuses and len(statuses) >= 2, name


def test_some_halls_close_some_queues(halls: list[HallContent]) -> None:
    closed = [[q.code for q in h.queues if not q.open] for h in halls]
    assert any(closed)
    assert all(len(c) <= 3 for c in closed)


def test_queues_follow_the_category_letters(halls: list[HallContent]) -> None:
    for hall in halls:
        for queue in hall.queues:
            assert queue.code == QUEUE_LETTER[queue.category], (hall.hall.id, queue.code)
            assert queue.windows and all(1 <= w <= 3 for w in queue.windows)


def test_every_service_is_in_an_existing_queue_of_its_category(
    halls: list[HallContent],
) -> None:
    for hall in halls:
        queues = {q.code: q for q in hall.queues}
        for service in hall.services:
            assert service.queue in queues, (hall.hall.id, service.id)
            assert queues[service.queue].category == service.category
            assert 3 <= len(service.steps) <= 6, service.id
            assert service.materials and service.eligibility, service.id
            assert service.where


def test_the_service_catalog_covers_all_ten_categories(halls: list[HallContent]) -> None:
    for hall in halls:
        assert {s.category for s in hall.services} == {c for c, _ in CATEGORIES}
    assert any(s.online_url for s in halls[0].services)
    assert any(s.online_url is None for s in halls[0].services)


def test_hall_specific_services_stay_in_their_hall(halls: list[HallContent]) -> None:
    owners = {
        s.id: [h.hall.id for h in halls if s.id in {x.id for x in h.services}]
        for h in halls
        for s in h.services
    }
    assert owners["maternal-infant-class"] == ["mingshi-haoting"]
    assert owners["smart-device-class"] == ["mingshi-haoting-2"]
    assert len(owners["minimum-living"]) == 7


def test_counter_text_names_the_queue_windows(halls: list[HallContent]) -> None:
    hall = halls[0]
    queues = {q.code: q for q in hall.queues}
    service = hall.service("minimum-living")
    assert service is not None and service.queue is not None
    for window in queues[service.queue].windows:
        assert f"{window}号窗口" in service.where or str(window) in service.where


def test_every_staff_photo_is_a_demo_media_file(halls: list[HallContent]) -> None:
    media = demo_media()
    assert len(media) >= 4
    for digest, (mime, data) in media.items():
        assert hashlib.sha256(data).hexdigest() == digest
        assert mime == "image/png"
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", data[16:24])
        assert (width, height) == (256, 256)
    used = set()
    for hall in halls:
        assert hall.media_hashes() <= set(media), hall.hall.id
        used |= hall.media_hashes()
    assert len(used) >= 4


def test_every_weekday_has_room_activities(halls: list[HallContent]) -> None:
    for hall in halls:
        for weekday in range(1, 8):
            titles = [a.title for r in hall.rooms for a in r.activities if weekday in a.weekdays]
            assert titles, (hall.hall.id, weekday)
        for weekday in range(1, 6):
            titles = [a.title for r in hall.rooms for a in r.activities if weekday in a.weekdays]
            assert len(titles) >= 2, (hall.hall.id, weekday)


def test_activities_and_events_fall_inside_room_hours(halls: list[HallContent]) -> None:
    def open_at(room: Any, weekday: int, start: str, end: str) -> bool:
        return any(weekday in h.weekdays and h.open <= start and end <= h.close for h in room.hours)

    for hall in halls:
        for room in hall.rooms:
            for activity in room.activities:
                for weekday in activity.weekdays:
                    where = (hall.hall.id, room.id, activity.title, weekday)
                    assert open_at(room, weekday, activity.start, activity.end), where
            for event in room.events:
                where = (hall.hall.id, room.id, event.title, event.date.isoformat())
                assert open_at(room, event.date.isoweekday(), event.start, event.end), where


@pytest.mark.parametrize("offset", range(1, 7))
def test_events_fit_room_hours_whatever_weekday_the_demo_runs(offset: int) -> None:
    today = TODAY + dt.timedelta(days=offset)
    for hall in load_demo_halls(today=today):
        for room in hall.rooms:
            for event in room.events:
                weekday = event.date.isoweekday()
                where = (hall.hall.id, room.id, event.title, today.isoformat())
                assert any(
                    weekday in h.weekdays and h.open <= event.start and event.end <= h.close
                    for h in room.hours
                ), where


def test_one_off_events_are_dated_around_today(halls: list[HallContent]) -> None:
    dates = [e.date for h in halls for r in h.rooms for e in r.events]
    assert dates
    assert all(TODAY - dt.timedelta(days=7) <= d <= TODAY + dt.timedelta(days=30) for d in dates)
    assert TODAY in dates
    first = {r.id: r for r in halls[0].rooms}["citizen-school"]
    assert {e.date for e in first.events} == {TODAY, TODAY + dt.timedelta(days=2)}


def test_notice_windows_give_pinned_expired_and_future(halls: list[HallContent]) -> None:
    for hall in halls:
        shown = hall.published_notices(NOW)
        ids = [n.id for n in shown]
        expired = [n for n in hall.notices if n.publish_until and n.publish_until <= NOW]
        future = [n for n in hall.notices if n.publish_from > NOW]
        assert shown and shown[0].pinned, hall.hall.id
        assert expired and not {n.id for n in expired} & set(ids), hall.hall.id
        assert future and not {n.id for n in future} & set(ids), hall.hall.id
        assert {n.board.value for n in shown} == {"publicity", "disclosure"}, hall.hall.id
        later = NOW + dt.timedelta(days=200)
        assert {n.id for n in future} <= {n.id for n in hall.notices if n.publish_from < later}


def test_relative_notice_times_are_local_to_the_hall(halls: list[HallContent]) -> None:
    notices = {n.id: n for n in halls[0].notices}
    fraud = notices["anti-fraud"]
    assert fraud.publish_from == dt.datetime(2026, 2, 22, 8, 0, tzinfo=SHANGHAI)
    assert fraud.publish_until == dt.datetime(2026, 3, 24, 0, 0, tzinfo=SHANGHAI)
    assert fraud.publish_from.utcoffset() == dt.timedelta(hours=8)


def test_status_until_is_relative_to_now() -> None:
    halls = load_demo_halls(now=NOW)
    staff = {s.id: s for s in halls[0].staff}
    assert staff["zhang-jianguo"].status_until == NOW + dt.timedelta(minutes=90)
    assert staff["chen-zhiqiang"].status_until == dt.datetime(2026, 3, 6, 8, 30, tzinfo=SHANGHAI)


@pytest.mark.hall_clock
def test_default_clock_is_the_hall_clock(hall_time: str) -> None:
    """With no ``today``/``now`` the demo dates are relative to kiosk.core.clock.now()."""
    start = dt.datetime.fromisoformat(hall_time).astimezone(SHANGHAI)
    hall = load_demo_halls()[0]
    events = {r.id: r for r in hall.rooms}["citizen-school"].events
    assert start.date() in {e.date for e in events}  # "today" is the hall's day, 23:59 too
    until = {s.id: s for s in hall.staff}["zhang-jianguo"].status_until
    assert until is not None
    assert dt.timedelta(minutes=89) < until - start < dt.timedelta(minutes=91), until


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", "2026-03-04"),
        ("+2d", "2026-03-06"),
        ("-10d", "2026-02-22"),
        ("+0d", "2026-03-04"),
        ("2026-05-01", "2026-05-01"),
        ("+2wd", "2026-03-06"),
        ("+3wd", "2026-03-09"),
        ("-3wd", "2026-02-27"),
        ("+0wd", "2026-03-04"),
        ("+2x", "+2x"),
    ],
)
def test_resolve_date(text: str, expected: str) -> None:
    assert resolve_date(text, TODAY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-10d 08:00", "2026-02-22T08:00:00+08:00"),
        ("+20d", "2026-03-24T00:00:00+08:00"),
        ("today 17:30", "2026-03-04T17:30:00+08:00"),
        ("now", "2026-03-04T10:00:00+08:00"),
        ("now+90m", "2026-03-04T11:30:00+08:00"),
        ("now-2h", "2026-03-04T08:00:00+08:00"),
        ("+3wd 08:30", "2026-03-09T08:30:00+08:00"),
        ("2026-01-01T08:00:00+08:00", "2026-01-01T08:00:00+08:00"),
        ("+1d 25:00", "+1d 25:00"),
    ],
)
def test_resolve_datetime(text: str, expected: str) -> None:
    assert resolve_datetime(text, NOW) == expected


def test_leave_ends_on_a_working_day() -> None:
    friday = dt.date(2026, 3, 6)
    for hall in load_demo_halls(today=friday):
        for person in hall.staff:
            if person.status.value == "leave":
                assert person.status_until is not None
                assert person.status_until.isoweekday() <= 5, person.id


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        load_demo_halls(now=dt.datetime(2026, 3, 4, 10, 0))


def test_an_explicit_root_is_used(demo_copy: Path) -> None:
    _edit(
        demo_copy / "halls" / "mingshi-haoting.json",
        lambda d: d["hall"].update(short_name="名士豪庭（测试）"),
    )
    assert load_demo_halls(demo_copy, today=TODAY)[0].hall.short_name == "名士豪庭（测试）"
    assert set(demo_media(demo_copy)) == set(demo_media())


def test_a_bad_field_names_the_file_and_the_field(demo_copy: Path) -> None:
    _edit(demo_copy / "halls" / "huayang.json", lambda d: d["staff"][1].update(phone="找我"))
    with pytest.raises(ContentError) as caught:
        load_demo_halls(demo_copy, today=TODAY)
    assert "halls/huayang.json" in str(caught.value)
    assert "staff[1].phone" in str(caught.value)
    assert "格式不对" in str(caught.value)


def test_broken_json_names_the_file_and_line(demo_copy: Path) -> None:
    path = demo_copy / "halls" / "youyi-yuan.json"
    path.write_text('{\n  "hall": {,\n}', encoding="utf-8")
    with pytest.raises(ContentError, match=r"halls/youyi-yuan\.json.*第 2 行"):
        load_demo_halls(demo_copy, today=TODAY)


def test_a_bad_relative_date_is_reported(demo_copy: Path) -> None:
    _edit(
        demo_copy / "halls" / "mingshi-haoting.json",
        lambda d: d["notices"][0].update(publish_from="-10 days"),
    )
    with pytest.raises(ContentError, match=r"halls/mingshi-haoting\.json 中的 notices\[0\]"):
        load_demo_halls(demo_copy, today=TODAY)


def test_an_unknown_service_id_is_reported(demo_copy: Path) -> None:
    _edit(
        demo_copy / "halls" / "xiandai-yicheng.json",
        lambda d: d["offers"].update(services=["minimum-living", "no-such-service"]),
    )
    with pytest.raises(ContentError, match="no-such-service") as caught:
        load_demo_halls(demo_copy, today=TODAY)
    assert "halls/xiandai-yicheng.json" in str(caught.value)


def test_a_photo_missing_from_media_is_reported(demo_copy: Path) -> None:
    _edit(
        demo_copy / "halls" / "jiefang-donglu.json",
        lambda d: d["staff"][0].update(photo="0" * 64),
    )
    with pytest.raises(ContentError, match=r"jiefang-donglu\.json 中的 staff\[0\]\.photo"):
        load_demo_halls(demo_copy, today=TODAY)


def test_a_bad_catalog_service_names_the_hall_file(demo_copy: Path) -> None:
    _edit(demo_copy / "services.json", lambda d: d["services"][0]["steps"].clear())
    with pytest.raises(ContentError, match=r"halls/.+\.json 中的 services\[0\]\.steps"):
        load_demo_halls(demo_copy, today=TODAY)


def test_hall_files_take_services_only_through_offers(demo_copy: Path) -> None:
    _edit(demo_copy / "halls" / "huayang.json", lambda d: d.update(services=[]))
    with pytest.raises(ContentError, match=r"halls/huayang\.json 中的 services.*offers"):
        load_demo_halls(demo_copy, today=TODAY)


def test_an_unknown_offers_key_is_reported(demo_copy: Path) -> None:
    _edit(demo_copy / "halls" / "huayang.json", lambda d: d["offers"].update(exclude=[]))
    with pytest.raises(ContentError, match=r"offers\.exclude：不认识的字段"):
        load_demo_halls(demo_copy, today=TODAY)


def test_media_without_a_folder_is_empty(tmp_path: Path) -> None:
    assert demo_media(tmp_path) == {}


def test_a_missing_hall_file_is_reported(demo_copy: Path) -> None:
    (demo_copy / "halls" / "huayang.json").unlink()
    with pytest.raises(ContentError, match=r"halls/huayang\.json"):
        load_demo_halls(demo_copy, today=TODAY)
