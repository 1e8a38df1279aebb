"""The app starts offline from its cache, and every screen is reached by touch and left again."""

from __future__ import annotations

from typing import Any

import pytest
from kivy.uix.behaviors import ButtonBehavior

from kiosk.screens.home import TILES

pytestmark = pytest.mark.ui


def find(widget: Any, cls: type, predicate=lambda w: True) -> list[Any]:  # type: ignore[no-untyped-def]
    out = []
    stack = [widget]
    while stack:
        w = stack.pop()
        if isinstance(w, cls) and predicate(w):
            out.append(w)
        stack.extend(w.children)
    return out


def first_button(screen: Any) -> Any:
    """The top-most enabled button of a screen (list rows, category buttons)."""
    buttons = find(screen, ButtonBehavior, lambda w: not w.disabled and w.opacity > 0)
    assert buttons, f"no button on {screen.name}"
    return max(buttons, key=lambda b: (b.to_window(b.x, b.top)[1], -b.to_window(b.x, b.y)[0]))


def test_offline_start_shows_the_cached_hall(kiosk, demo_halls):  # type: ignore[no-untyped-def]
    app = kiosk.app
    hall = demo_halls[0].hall
    assert app.content is not None and app.content.hall.id == hall.id
    assert app.current_name == "home"
    assert app.screen("home").hall_name == hall.name
    # The server is away: the sync service says so, and the header shows it.
    kiosk.wait_until(lambda: app.sync_status is not None and app.sync_status.last_error)
    assert app.sync_status.online is False
    assert app.status_bar.state_text == "离线"
    assert app.status_bar.updated.startswith("更新于")


def test_every_tile_opens_its_screen_and_home_returns(at_home):  # type: ignore[no-untyped-def]
    kiosk = at_home
    app = kiosk.app
    for target, *_rest in TILES:
        home = app.screen("home")
        kiosk.tap(home.tiles[target])
        if home.tiles[target].coming_soon:
            assert app.current_name == "home"  # a placeholder tile does nothing
            continue
        assert app.current_name == target
        kiosk.tap(app.nav.ids.home)
        assert app.current_name == "home"
        assert app.nav.parent is None  # no 返回/首页 on home


def test_service_guide_drills_down_and_back_up(at_home):  # type: ignore[no-untyped-def]
    kiosk = at_home
    app = kiosk.app
    kiosk.tap(app.screen("home").tiles["categories"])
    kiosk.settle()
    kiosk.tap(first_button(app.screen("categories")))
    assert app.current_name == "services"
    kiosk.settle()
    kiosk.tap(first_button(app.screen("services")))
    assert app.current_name == "service"
    service = app.screen("service")
    assert service.ids.chart.children, "the flowchart has step boxes"
    kiosk.tap(app.nav.ids.back)
    assert app.current_name == "services"
    kiosk.tap(app.nav.ids.back)
    assert app.current_name == "categories"
    kiosk.tap(app.nav.ids.back)
    assert app.current_name == "home"


@pytest.mark.parametrize(("tile", "detail"), [("rooms", "room"), ("notices", "notice")])
def test_lists_open_their_detail(at_home, tile, detail):  # type: ignore[no-untyped-def]
    kiosk = at_home
    app = kiosk.app
    kiosk.tap(app.screen("home").tiles[tile])
    kiosk.settle()
    rows = app.screen(tile).ids.get("grid") or app.screen(tile).ids.get("rows")
    kiosk.tap(first_button(rows))
    assert app.current_name == detail
    assert app.screen(detail).heading
    kiosk.tap(app.nav.ids.back)
    assert app.current_name == tile


def test_notice_boards_switch(at_home):  # type: ignore[no-untyped-def]
    kiosk = at_home
    app = kiosk.app
    kiosk.tap(app.screen("home").tiles["notices"])
    screen = app.screen("notices")
    kiosk.tap(screen.ids.dis)
    assert screen.board == "disclosure"
    kiosk.tap(screen.ids.pub)
    assert screen.board == "publicity"


def test_maintenance_needs_a_long_press_and_the_pin(at_home):  # type: ignore[no-untyped-def]
    kiosk = at_home
    app = kiosk.app
    corner = app.status_bar.ids.corner
    x, y = corner.to_window(corner.center_x, corner.center_y)
    kiosk.tap_at(x, y)  # a short tap does nothing
    assert app.current_name == "home"
    kiosk.press(x, y, corner.hold_seconds + 0.5)
    assert app.current_name == "maintenance"
    screen = app.screen("maintenance")
    pad = {b.text: b for b in screen.ids.pad.children}
    for digit in "1111":
        kiosk.tap(pad[digit])
    kiosk.tap(pad["确定"])
    assert not screen.unlocked
    assert screen.message == "密码不对。"
    for digit in app.settings.maintenance_pin:
        kiosk.tap(pad[digit])
    kiosk.tap(pad["确定"])
    assert screen.unlocked
    assert app.settings.server_url in screen.details
    assert "离线" in screen.details
    kiosk.tap(app.nav.ids.home)
    assert app.current_name == "home"


def test_escape_and_close_requests_are_refused(at_home):  # type: ignore[no-untyped-def]
    from kivy.app import App
    from kivy.base import EventLoop

    window = at_home.window
    assert window.dispatch("on_keyboard", 27, 41, None, [], None) is True
    assert window.dispatch("on_request_close") is True
    at_home.pump(3)
    assert App.get_running_app() is at_home.app
    assert EventLoop.status == "started"
