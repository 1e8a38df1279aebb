"""Idle reset, markup injection, and live updates (content, staff status, calls)."""

from __future__ import annotations

import pytest
from kivy.core.text import Label as CoreLabel
from kivy.utils import escape_markup

from kiosk.core import clock
from kiosk.core.content import NoticeBoard, Snapshot, StaffStatus
from kiosk.core.wire import EventPublic, EventType

pytestmark = pytest.mark.ui

INJECTION = "[b]x[/b][color=ff0000]"


def snapshot(hall, version):  # type: ignore[no-untyped-def]
    return Snapshot(
        hall_id=hall.hall.id,
        version=version,
        published_at=clock.now(),
        content=hall,
    )


@pytest.fixture
def restore_content(at_home):  # type: ignore[no-untyped-def]
    app = at_home.app
    before = app.content
    version = app.content_version
    yield at_home
    app.apply_snapshot(snapshot(before, version))


def test_idle_warns_then_goes_home_and_forgets(at_home):  # type: ignore[no-untyped-def]
    kiosk = at_home
    app = kiosk.app
    # Wide windows: on a loaded machine one frame of the virtual display can take 0.5 s.
    app.idle.idle_seconds = 6.0
    app.idle.warn_seconds = 4.0
    kiosk.tap(app.screen("home").tiles["notices"])
    kiosk.tap(app.screen("notices").ids.dis)
    assert app.screen("notices").board == "disclosure"
    kiosk.wait_until(lambda: app._warning is not None, timeout=20)
    assert "秒后回到首页" in app._warning.ids.box.children[1].text
    kiosk.wait_until(lambda: app.current_name == "home", timeout=20)
    assert app._warning is None
    assert app.history == []
    assert app.screen("notices").board == "publicity", "screen state is cleared"


def test_keep_using_cancels_the_reset(at_home):  # type: ignore[no-untyped-def]
    kiosk = at_home
    app = kiosk.app
    app.idle.idle_seconds = 8.0
    app.idle.warn_seconds = 6.0
    kiosk.tap(app.screen("home").tiles["about"])
    kiosk.wait_until(lambda: app._warning is not None, timeout=20)
    button = app._warning.ids.box.children[0]
    kiosk.tap(button)
    assert app._warning is None
    assert app.current_name == "about"


def test_home_runs_an_attract_loop_while_untouched(at_home):  # type: ignore[no-untyped-def]
    kiosk = at_home
    app = kiosk.app
    home = app.screen("home")
    tip = home.tip
    app.attract_after, app.attract_step = 1.5, 1.0
    try:
        kiosk.wait_until(lambda: home.tip != tip, timeout=30)
        kiosk.wait_until(lambda: any(t.glow > 0.5 for t in home.tiles.values()), timeout=10)
        second = home.tip
        kiosk.wait_until(lambda: home.tip != second, timeout=30)  # it keeps cycling
        kiosk.tap_at(5, kiosk.window.height / 2)
        assert all(t.glow == 0 for t in home.tiles.values())
    finally:
        app.attract_after, app.attract_step = 8.0, 5.0


def test_markup_in_a_notice_title_shows_literally(restore_content, demo_halls):  # type: ignore[no-untyped-def]
    kiosk = restore_content
    app = kiosk.app
    hall = demo_halls[0]
    notice = next(n for n in hall.published_notices(app.now()) if n.board is NoticeBoard.PUBLICITY)
    evil = notice.model_copy(update={"title": INJECTION, "body": "正文 " + INJECTION})
    notices = [evil if n.id == notice.id else n for n in hall.notices]
    app.apply_snapshot(snapshot(hall.model_copy(update={"notices": notices}), 99))
    app.open("notice", notice_id=notice.id)
    kiosk.settle()
    title = app.screen("notice").ids.title
    assert title.markup is True
    assert title.text == escape_markup(INJECTION)
    # What the markup renderer laid out is the literal text, brackets and all, in one style.
    assert shown_text(title) == INJECTION
    assert shown_text(app.screen("notice").ids.body).endswith(INJECTION)
    plain = CoreLabel(text=INJECTION, font_size=title.font_size, bold=True)
    plain.refresh()
    assert abs(sum(w.lw for w in title._label._cached_lines[0].words) - plain.texture.size[0]) <= 2


def shown_text(label):  # type: ignore[no-untyped-def]
    label.texture_update()
    return "".join(w.text for line in label._label._cached_lines for w in line.words)


def test_staff_status_change_shows_without_touching(restore_content, demo_halls):  # type: ignore[no-untyped-def]
    kiosk = restore_content
    app = kiosk.app
    hall = demo_halls[0]
    app.open("staff")
    kiosk.settle()
    member = hall.staff[0]
    new_status = (
        StaffStatus.LEAVE if member.status is not StaffStatus.LEAVE else StaffStatus.ON_DUTY
    )
    staff = [
        s.model_copy(update={"status": new_status, "status_until": None})
        if s.id == member.id
        else s
        for s in hall.staff
    ]
    app.apply_snapshot(snapshot(hall.model_copy(update={"staff": staff}), 100))
    kiosk.settle()
    assert app.current_name == "staff"
    cards = list(reversed(app.screen("staff").ids.grid.children))
    expected = {StaffStatus.LEAVE: "休假", StaffStatus.ON_DUTY: "在岗"}[new_status]
    assert cards[0].status_text == expected


def test_a_removed_item_sends_the_resident_home(restore_content, demo_halls):  # type: ignore[no-untyped-def]
    kiosk = restore_content
    app = kiosk.app
    hall = demo_halls[0]
    room = hall.rooms[0]
    app.open("rooms")
    app.open("room", room_id=room.id)
    rooms = [r for r in hall.rooms if r.id != room.id]
    app.apply_snapshot(snapshot(hall.model_copy(update={"rooms": rooms}), 101))
    assert app.current_name == "home"


def test_calls_appear_on_the_now_calling_strip(at_home):  # type: ignore[no-untyped-def]
    app = at_home.app
    app.calling.clear()
    for seq, (number, window) in enumerate([("A001", 1), ("B002", 3), ("A001", 2)], start=1):
        app.apply_event(
            EventPublic(
                seq=seq,
                type=EventType.CALL,
                hall_id=app.content.hall.id,
                at=clock.now(),
                data={"number": number, "queue": number[0], "window": window, "recall": False},
            )
        )
    assert app.calling.calls == [("A001", 2), ("B002", 3)]
    assert app.calling.calls_text.startswith("请 A001 号到 2 号窗口")
    app.calling.clear()
