"""Elder mode switched on and off while the app runs: every widget follows the theme."""

from __future__ import annotations

import pytest

from kiosk.theme import theme

pytestmark = pytest.mark.ui


def tile_title(app):  # type: ignore[no-untyped-def]
    tile = app.screen("home").tiles["staff"]
    return tile.ids.ttl


def test_switching_elder_mode_restyles_everything_and_keeps_the_place(at_home):  # type: ignore[no-untyped-def]
    kiosk = at_home
    app = kiosk.app
    normal_font = tile_title(app).font_size
    kiosk.tap(app.screen("home").tiles["staff"])
    try:
        theme.elder = True
        kiosk.settle()
        assert app.current_name == "staff"
        assert app.manager.current == "staff"
        app.home()
        kiosk.settle()
        title = tile_title(app)
        # eight tiles on an elder panel: the title one size down, still larger than normal
        assert title.font_size == pytest.approx(theme.font_title)
        assert title.font_size > normal_font
        # The tile's own white text survives the label class's theme.text binding.
        assert tuple(title.color) == (1, 1, 1, 1)
        name_label = next(
            w for w in app.status_bar.walk() if getattr(w, "text", None) == app.status_bar.hall_name
        )
        assert tuple(name_label.color) == tuple(theme.primary_text)
    finally:
        theme.elder = False
        kiosk.settle()
    assert tile_title(app).font_size == pytest.approx(normal_font)
    assert tuple(tile_title(app).color) == (1, 1, 1, 1)
