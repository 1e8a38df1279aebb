"""Kiosk widgets built on their own (no running app): flowchart, staff card, QR code,
"now calling" strip, and the escaping of server text."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from kiosk.core.clock import HALL_TZ
from kiosk.core.content import Staff, StaffStatus, Step

pytestmark = pytest.mark.ui

SHANGHAI = HALL_TZ


def settle(widget, frames: int = 6) -> None:  # type: ignore[no-untyped-def]
    from kivy.base import EventLoop

    for _ in range(frames):
        EventLoop.idle()


def steps(n: int) -> list[Step]:
    return [
        Step(title=f"第{i}步 提交材料", actor="窗口工作人员", duration="约10分钟", detail="说明")
        for i in range(1, n + 1)
    ]


@pytest.mark.parametrize(("width", "columns"), [(1800, 4), (1000, 2), (400, 1)])
def test_flowchart_wraps_its_steps_into_rows_that_fit(kivy_window, width, columns) -> None:  # type: ignore[no-untyped-def]
    from kivy.uix.floatlayout import FloatLayout

    from kiosk.widgets.flowchart import Flowchart

    holder = FloatLayout(size=(width, 2000))
    chart = Flowchart(steps=steps(4), min_box=330, arrow=56, size_hint_x=None, width=width)
    holder.add_widget(chart)
    kivy_window.add_widget(holder)
    try:
        settle(chart)
        boxes = list(reversed(chart.children))
        assert len(boxes) == 4
        assert chart.columns == columns
        rows = {round(b.top) for b in boxes}
        assert len(rows) == -(-4 // columns)
        for box in boxes:
            assert box.x >= chart.x - 1 and box.right <= chart.right + 1
            assert box.y >= chart.y - 1 and box.top <= chart.top + 1
        # Reading order: left to right, then the next row below.
        for a, b in itertools.pairwise(boxes):
            assert (a.top > b.top) or (a.top == b.top and a.x < b.x)
        assert len(chart.canvas.before.children) > 2, "arrows are drawn"
    finally:
        kivy_window.remove_widget(holder)


def test_flowchart_escapes_step_text(kivy_window) -> None:  # type: ignore[no-untyped-def]
    from kiosk.widgets.flowchart import Flowchart

    chart = Flowchart(steps=[Step(title="[b]x[/b]", actor="[color=ff0000]y")], width=800)
    box = chart.children[0]
    assert box.title == "&bl;b&br;x&bl;/b&br;"
    assert "[color" not in box.actor


@pytest.mark.parametrize(
    ("status", "label"),
    [("on_duty", "在岗"), ("visiting", "外出走访"), ("meeting", "会议"), ("leave", "休假")],
)
def test_staff_card_shows_status_and_return_time(kivy_window, status, label) -> None:  # type: ignore[no-untyped-def]
    from kiosk.widgets.staffcard import StaffCard

    now = dt.datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)
    until = None if status == "on_duty" else now + dt.timedelta(hours=3)
    staff = Staff(
        id="wang",
        name="王丽华",
        post="书记",
        duties=["党建", "[b]全面工作[/b]"],
        phone="0531-80001101",
        status=StaffStatus(status),
        status_until=until,
    )
    card = StaffCard()
    card.show(staff, now, None)
    assert card.status_text == label
    assert card.initial == "王"
    assert ("预计 13:00 回来" in card.back_text) == (status != "on_duty")
    assert "[b]" not in card.duties_text


def test_return_on_another_day_names_the_date(kivy_window) -> None:  # type: ignore[no-untyped-def]
    from kiosk.widgets.staffcard import status_line

    now = dt.datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI)
    staff = Staff(
        id="li",
        name="李",
        post="干事",
        status=StaffStatus.LEAVE,
        status_until=dt.datetime(2026, 11, 30, 8, 30, tzinfo=SHANGHAI),
    )
    assert status_line(staff, now) == "预计 11月30日 回来"


def test_qr_image_encodes_its_data(kivy_window) -> None:  # type: ignore[no-untyped-def]
    from kiosk.widgets.qr import QRImage, qr_matrix

    matrix = qr_matrix("https://example.org/banshi")
    n = len(matrix)
    assert n >= 21 + 8 and all(len(row) == n for row in matrix)
    image = QRImage(data="https://example.org/banshi")
    assert image.texture is not None and tuple(image.texture.size) == (n, n)
    assert image.texture.mag_filter == "nearest"
    image.data = ""
    assert image.texture is None


def test_now_calling_keeps_the_latest_and_moves_a_recall_to_the_front(kivy_window) -> None:  # type: ignore[no-untyped-def]
    from kiosk.widgets.calling import NowCallingStrip

    strip = NowCallingStrip(keep=3)
    assert strip.calls_text == "暂无叫号"
    for number, window in [("A001", 1), ("A002", 2), ("B001", 3), ("A003", 1)]:
        strip.add_call(number, window)
    assert strip.calls == [("A003", 1), ("B001", 3), ("A002", 2)]
    strip.add_call("A002", 4)
    assert strip.calls[0] == ("A002", 4)
    assert strip.calls_text.startswith("请 A002 号到 4 号窗口")


def test_safe_text_renders_literally(kivy_window) -> None:  # type: ignore[no-untyped-def]
    from kiosk.widgets.text import WrapLabel, safe

    label = WrapLabel(text=safe("[b]x[/b][color=ff0000]"), markup=True, width=800)
    label.texture_update()
    shown = "".join(w.text for line in label._label._cached_lines for w in line.words)
    assert shown == "[b]x[/b][color=ff0000]"


def test_unescape_markup_undoes_safe() -> None:
    from kiosk.core.markup import unescape_markup
    from kiosk.widgets.text import safe

    for text in ("[b]x[/b]", "&bl;", "a & b ] [", "&amp;br;", "办事指南"):
        assert unescape_markup(safe(text)) == text


def test_shape_icons_draw_inside_their_box(kivy_window) -> None:  # type: ignore[no-untyped-def]
    from kivy.graphics import Ellipse, Rectangle, RoundedRectangle

    from kiosk.widgets.icons import KINDS, ShapeIcon

    for kind in KINDS:
        icon = ShapeIcon(kind=kind, pos=(100, 200), size=(300, 120))
        shapes = [
            i for i in icon.canvas.children if isinstance(i, Rectangle | Ellipse | RoundedRectangle)
        ]
        for s in shapes:
            assert s.pos[0] >= 100 - 1 and s.pos[0] + s.size[0] <= 400 + 1, kind
            assert s.pos[1] >= 200 - 1 and s.pos[1] + s.size[1] <= 320 + 1, kind
