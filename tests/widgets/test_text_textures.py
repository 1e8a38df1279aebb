"""Text textures (kiosk.widgets.text): a wrapping label's texture is as wide as its text
and shows exactly what Kivy's full-width one would; no label keeps its drawing surface."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.ui

SHORT = "请带身份证原件"
LONG = "一、使用电暖器要远离窗帘、被褥等可燃物，人走断电，不要用电暖器烘烤衣物。" * 3


def settle(frames: int = 6) -> None:
    from kivy.base import EventLoop

    for _ in range(frames):
        EventLoop.idle()


def ink(widget) -> tuple[int, int, int, int] | None:  # type: ignore[no-untyped-def]
    """Bounding box (left, bottom, right, top) of the drawn text's pixels in ``widget``."""
    texture = widget.export_as_image().texture
    width, height = texture.size
    pixels = texture.pixels
    xs, ys = [], []
    for y in range(height):
        row = pixels[y * width * 4 : (y + 1) * width * 4]
        for x in range(width):
            if row[x * 4 + 3] > 40:
                xs.append(x)
                ys.append(y)
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None


def pair(text: str, halign: str, width: int, markup: bool = False):  # type: ignore[no-untyped-def]
    """A WrapLabel and a plain Kivy Label with the same text and style, side by side."""
    from kivy.base import EventLoop
    from kivy.uix.label import Label

    from kiosk.theme import theme
    from kiosk.widgets.text import WrapLabel

    ours = WrapLabel(text=text, halign=halign, markup=markup, size_hint_x=None, width=width)
    kivys = Label(
        text=text,
        halign=halign,
        valign="top",
        markup=markup,
        font_size=theme.font_body,
        line_height=theme.line_spacing,
        color=theme.text,
        size_hint=(None, None),
        width=width,
        text_size=(width, None),
    )
    kivys.bind(texture_size=lambda w, size: setattr(w, "height", size[1]))
    for w in (ours, kivys):
        EventLoop.window.add_widget(w)
    settle()
    return ours, kivys


@pytest.mark.parametrize("halign", ["left", "center", "right"])
def test_a_short_line_gets_a_texture_only_as_wide_as_its_text(kivy_window, halign) -> None:  # type: ignore[no-untyped-def]
    ours, kivys = pair(SHORT, halign, 1200)
    try:
        assert kivys.texture_size[0] == 1200  # Kivy's own: as wide as the box
        assert 0 < ours.texture_size[0] < 400, ours.texture_size
        assert ours.texture_size[1] == kivys.texture_size[1] == ours.height
        assert ink(ours) == ink(kivys)  # the same pixels where Kivy's label puts them
    finally:
        for w in (ours, kivys):
            w.parent.remove_widget(w)


@pytest.mark.parametrize("markup", [False, True], ids=["plain", "markup"])
def test_wrapped_text_breaks_and_draws_as_kivy_does(kivy_window, markup) -> None:  # type: ignore[no-untyped-def]
    ours, kivys = pair(LONG, "left", 900, markup=markup)
    try:
        assert ours.height == kivys.height > 3 * ours.font_size  # several lines
        assert ours.texture_size[0] <= 900
        assert ink(ours) == ink(kivys)
    finally:
        for w in (ours, kivys):
            w.parent.remove_widget(w)


def test_justified_text_keeps_the_full_width(kivy_window) -> None:  # type: ignore[no-untyped-def]
    ours, kivys = pair(LONG, "justify", 900)
    try:
        assert ours.texture_size == kivys.texture_size
        assert ours.texture_size[0] == 900
    finally:
        for w in (ours, kivys):
            w.parent.remove_widget(w)


def test_a_rendered_label_keeps_no_drawing_surface(kivy_window) -> None:  # type: ignore[no-untyped-def]
    """Kivy's SDL2 provider kept each label's SDL surface: its pixels twice in memory."""
    from kivy.uix.label import Label

    from kiosk.widgets.text import WrapLabel

    labels = [Label(text=SHORT), Label(text=f"[b]{SHORT}[/b]", markup=True), WrapLabel(text=LONG)]
    for label in labels:
        label.texture_update()
        label._label.texture.bind()  # the texture's first use renders it
        assert label.texture is not None and label.texture.size[0] > 1
        assert getattr(label._label, "_surface", None) is None, type(label)
