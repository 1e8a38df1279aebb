"""Colours reach the contrast we promise; sizes never drop below the minimums."""

from __future__ import annotations

import pytest
from kivy.metrics import dp

from kiosk.theme import (
    ELDER_PALETTE,
    MIN_BODY_DP,
    MIN_TARGET_DP,
    PALETTE,
    TILE_COLORS,
    Theme,
    contrast_ratio,
)
from kiosk.widgets.staffcard import status_colors


def test_contrast_ratio_matches_wcag_reference_values() -> None:
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#FFFFFF", "#000000") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#777777") == pytest.approx(1.0)
    # WebAIM's checker: #767676 on white is 4.54:1, the lightest grey passing AA.
    assert contrast_ratio("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)


BODY_PAIRS = [
    ("text", "bg"),
    ("text", "surface"),
    ("text_muted", "bg"),
    ("text_muted", "surface"),
    ("primary_text", "primary"),
    ("accent_text", "accent"),
    ("calling_text", "calling_bg"),
    ("offline_text", "offline_bg"),
    ("button_text", "button"),
    ("button_quiet_text", "button_quiet"),
    ("disabled_text", "disabled"),
    ("now_text", "now_bg"),
]


@pytest.mark.parametrize("palette", [PALETTE, ELDER_PALETTE], ids=["normal", "elder"])
@pytest.mark.parametrize(("fg", "bg"), BODY_PAIRS)
def test_every_text_colour_pair_reaches_7_to_1(palette, fg, bg) -> None:  # type: ignore[no-untyped-def]
    assert contrast_ratio(palette[fg], palette[bg]) >= 7.0, (fg, bg)


@pytest.mark.parametrize("tile", TILE_COLORS)
def test_white_on_every_tile_reaches_7_to_1(tile: str) -> None:
    assert contrast_ratio("#FFFFFF", tile) >= 7.0


@pytest.mark.parametrize("status", ["on_duty", "visiting", "meeting", "leave"])
def test_status_chips_reach_7_to_1(status: str) -> None:
    from kiosk.core.content import StaffStatus

    bg, fg = status_colors(StaffStatus(status))
    assert contrast_ratio(fg, bg) >= 7.0


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920), (1280, 800), (800, 480), (640, 360)])
def test_sizes_follow_the_window_but_never_drop_below_the_minimums(size) -> None:  # type: ignore[no-untyped-def]
    theme = Theme()
    theme.fit_window(*size)
    assert theme.orientation == ("portrait" if size[1] > size[0] else "landscape")
    for name in ("font_small", "font_body", "font_title", "font_heading"):
        assert getattr(theme, name) >= dp(MIN_BODY_DP)
    assert theme.target >= dp(MIN_TARGET_DP)
    assert theme.line_spacing >= 1.3


def test_elder_mode_is_larger_and_higher_contrast() -> None:
    normal, elder = Theme(), Theme()
    normal.fit_window(1920, 1080)
    elder.fit_window(1920, 1080)
    elder.elder = True
    assert elder.font_body > normal.font_body
    assert elder.target > normal.target
    assert contrast_ratio(ELDER_PALETTE["text"], ELDER_PALETTE["bg"]) > contrast_ratio(
        PALETTE["text"], PALETTE["bg"]
    )
