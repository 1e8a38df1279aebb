"""Every screen, with each of the seven demo halls, in landscape and portrait: big enough
text and targets, and no text overflowing its box.

Walks the widget tree of each screen after layout settled and checks every visible label
and button against the numbers in DESIGN.md (body ≥ 18 dp, targets ≥ 60 × 60 dp, line
spacing ≥ 1.3) and that no label's rendered text is wider or taller than its box.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from kivy.metrics import dp
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.label import Label

from kiosk.core import clock
from kiosk.core.content import HallContent, Snapshot
from kiosk.theme import MIN_BODY_DP, MIN_TARGET_DP, theme

pytestmark = [pytest.mark.ui, pytest.mark.slow]

#: (window size, how many demo halls, elder mode): the two target panels with every hall,
#: a smaller 1280×800 panel and elder mode (长辈模式, 1.5× type) on all three with two halls
#: each.
SIZES = {
    "landscape": ((1920, 1080), 7, False),
    "portrait": ((1080, 1920), 7, False),
    "small-panel": ((1280, 800), 2, False),
    "elder-landscape": ((1920, 1080), 2, True),
    "elder-portrait": ((1080, 1920), 2, True),
    "elder-small-panel": ((1280, 800), 2, True),
}


def visible_widgets(root: Any) -> list[Any]:
    out = []
    stack = [root]
    while stack:
        w = stack.pop()
        if w.opacity == 0 or w.width <= 0 or w.height <= 0:
            continue
        out.append(w)
        stack.extend(w.children)
    return out


def squeezed_buttons(root: Any) -> list[Any]:
    """Buttons that are shown (opacity > 0) but were squeezed to no size by the layout."""
    out = []
    stack = [root]
    while stack:
        w = stack.pop()
        if w.opacity == 0:
            continue
        if isinstance(w, ButtonBehavior) and (w.width <= 0 or w.height <= 0):
            out.append(w)
        stack.extend(w.children)
    return out


def spilling_labels(button: Any) -> list[Any]:
    """Labels inside ``button`` whose box reaches outside the button (text cut off)."""
    _bx, by = button.to_window(button.x, button.y)
    out = []
    for w in visible_widgets(button):
        if w is button or not isinstance(w, Label) or not w.text.strip():
            continue
        _x, y = w.to_window(w.x, w.y)
        if y < by - 1 or y + w.height > by + button.height + 1:
            out.append(w)
    return out


def problems_of(screen: Any, counted: list[int] | None = None) -> list[str]:
    found = [
        f"{getattr(screen, 'name', type(screen).__name__)}:{type(w).__name__} squeezed to "
        f"{w.width:.0f}×{w.height:.0f}"
        for w in squeezed_buttons(screen)
    ]
    found += [
        f"{getattr(screen, 'name', type(screen).__name__)}:{type(b).__name__} text "
        f"{w.text[:12]!r} spills out of its button"
        for b in visible_widgets(screen)
        if isinstance(b, ButtonBehavior)
        for w in spilling_labels(b)
    ]
    for w in visible_widgets(screen):
        where = f"{getattr(screen, 'name', type(screen).__name__)}:{type(w).__name__}"
        if isinstance(w, ButtonBehavior) and (
            w.width < dp(MIN_TARGET_DP) or w.height < dp(MIN_TARGET_DP)
        ):
            found.append(f"{where} target {w.width:.0f}×{w.height:.0f} < {MIN_TARGET_DP} dp")
        if isinstance(w, Label) and w.text.strip():
            if counted is not None:
                counted.append(1)
            label = f"{where} {w.text[:20]!r}"
            if w.font_size < dp(MIN_BODY_DP) - 0.01:
                found.append(f"{label} font {w.font_size:.1f} < {MIN_BODY_DP} dp")
            multi_line = w.texture_size[1] > w.font_size * 1.8
            if multi_line and w.line_height < 1.3:
                found.append(f"{label} line spacing {w.line_height} < 1.3")
            tw, th = w.texture_size
            if tw > w.width + 1 or th > w.height + 1:
                found.append(
                    f"{label} text {tw:.0f}×{th:.0f} overflows box {w.width:.0f}×{w.height:.0f}"
                )
    return found


def visits(hall: HallContent, now: dt.datetime) -> list[tuple[str, dict[str, Any]]]:
    """Every screen once; the detail screens with the item of each list that has the
    most text (the likeliest to overflow)."""
    longest_service = max(hall.services, key=lambda s: len(s.model_dump_json()))
    with_url = next((s for s in hall.services if s.online_url), longest_service)
    busiest_category = max(
        {s.category for s in hall.services},
        key=lambda c: sum(s.category == c for s in hall.services),
    )
    busiest_room = max(hall.rooms, key=lambda r: len(r.activities) + len(r.events))
    notices = hall.published_notices(now)
    out: list[tuple[str, dict[str, Any]]] = [("home", {}), ("categories", {})]
    out.append(("services", {"category": busiest_category}))
    out.append(("service", {"service_id": longest_service.id}))
    out.append(("service", {"service_id": with_url.id}))
    out += [("staff", {}), ("rooms", {}), ("room", {"room_id": busiest_room.id})]
    out += [("notices", {"board": "publicity"}), ("notices", {"board": "disclosure"})]
    if notices:
        longest = max(notices, key=lambda n: len(n.body))
        out.append(("notice", {"notice_id": longest.id}))
    out += [("about", {}), ("maintenance", {})]
    out += [("report", {}), ("progress", {}), ("openness", {})]  # 诉求 (issue 13)
    return out


@pytest.mark.parametrize("orientation", sorted(SIZES))
def test_every_screen_of_every_hall_fits(at_home, demo_halls, orientation):  # type: ignore[no-untyped-def]
    kiosk = at_home
    app = kiosk.app
    original = Snapshot(
        hall_id=app.content.hall.id,
        version=app.content_version,
        published_at=clock.now(),
        content=app.content,
    )
    size, halls, elder = SIZES[orientation]
    kiosk.resize(*size)
    theme.elder = elder
    kiosk.settle()
    problems: list[str] = []
    try:
        for version, hall in enumerate(demo_halls[:halls], start=200):
            app.apply_snapshot(
                Snapshot(
                    hall_id=hall.hall.id,
                    version=version,
                    published_at=clock.now(),
                    content=hall,
                )
            )
            for name, params in visits(hall, app.now()):
                if name == "home":
                    app.home()
                else:
                    app.open(name, **params)
                kiosk.settle(ticks=20)  # deep layouts converge one level per clock tick
                screen = app.screen(name)
                if name in ("services", "service", "staff", "room", "notice", "about"):
                    assert screen.heading, f"{hall.hall.id}: {name} {params} shows nothing"
                counted: list[int] = []
                problems += [f"{hall.hall.id} {p}" for p in problems_of(screen, counted)]
                assert len(counted) >= 3, f"{name}: only {len(counted)} labels seen"
            problems += [f"{hall.hall.id} {p}" for p in problems_of(app.status_bar)]
            problems += [f"{hall.hall.id} {p}" for p in problems_of(app.nav)]
    finally:
        theme.elder = False
        kiosk.settle()
        app.apply_snapshot(original)
        app.home()
    assert not problems, "\n".join(problems[:40])


def test_the_checker_catches_small_text_small_targets_and_overflow(kiosk):  # type: ignore[no-untyped-def]
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.button import Button

    box = BoxLayout(size=(400, 400))
    box.add_widget(Label(text="小字", font_size=dp(12), size_hint=(None, None), size=(200, 100)))
    box.add_widget(Button(text="按钮", size_hint=(None, None), size=(dp(40), dp(40))))
    long = Label(text="这一行字太长了放不下" * 3, font_size=dp(24), size_hint=(None, None))
    long.size = (100, 40)
    box.add_widget(long)
    long.texture_update()
    from kiosk.widgets.tile import BigTile

    tile = BigTile(title="服务指南", size_hint=(None, None), size=(dp(300), dp(70)))
    box.add_widget(tile)
    squeezed = BigTile(title="公告", size_hint=(None, None), size=(dp(300), 0))
    box.add_widget(squeezed)
    kiosk.settle()
    for child in tile.children:
        child.size_hint_y, child.height = None, dp(200)  # taller than the tile
    kiosk.settle()
    found = "\n".join(problems_of(box))
    assert "spills out of its button" in found
    assert "BigTile squeezed to" in found
    assert "font 12.0 < 18 dp" in found
    assert "target 40×40" in found
    assert "overflows box 100×40" in found
