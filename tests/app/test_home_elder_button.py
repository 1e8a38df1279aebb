"""Home's 长辈模式 switch, as drawn: in both orientations, normal and elder mode, every
line of its text is whole (no "·" left at a line's end or start, no word broken)."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.theme import theme

pytestmark = pytest.mark.ui

SIZES = {"landscape": (1920, 1080), "portrait": (1080, 1920), "small": (1280, 720)}


def drawn_lines(label: Any) -> list[str]:
    """The lines Kivy laid the label's text out in (after wrapping)."""
    label.texture_update()
    return ["".join(w.text for w in line.words).strip() for line in label._label._cached_lines]


@pytest.mark.parametrize("size", list(SIZES), ids=list(SIZES))
def test_the_elder_switch_never_wraps_inside_a_line(at_home: Any, size: str) -> None:
    kiosk = at_home
    app = kiosk.app
    kiosk.resize(*SIZES[size])
    try:
        for elder in (False, True):
            app.voice.set_elder(elder, announce=False)
            kiosk.wait_until(lambda e=elder: theme.elder is e, timeout=20)
            kiosk.settle()
            button = app.screen("home").ids.elder
            lines = [line for line in drawn_lines(button) if line]
            wanted = ["长辈模式", "点此退出" if elder else "大字·语音"]
            assert lines == wanted, (size, elder, lines)
            assert button.texture_size[1] <= button.height
    finally:
        app.voice.set_elder(False, announce=False)
        kiosk.settle()
