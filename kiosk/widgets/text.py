"""Text widgets: labels that wrap to their width and grow to their text's height.

Server-supplied text goes through :func:`safe` before it is put into a markup label.

Text is most of what a kiosk screen holds in memory: every label is a texture. Two
things keep that down (``bench/kiosk_startup_bench.py``, docs/PERFORMANCE.md):

* Kivy's SDL2 text provider keeps the SDL surface it drew a label into for as long as the
  label lives, a second copy of every texture's pixels in main memory. The pygame
  provider drops it after use; :func:`release_render_surfaces` makes SDL2's do the same.
* A wrapping label's texture is as wide as the label even when its text is one short
  line. :class:`WrapLabel` draws a texture only as wide as its longest line and places
  it where the full-width one would have put the text.
"""

from __future__ import annotations

import math
from typing import Any

from kivy.core.text import Label as CoreLabel
from kivy.properties import AliasProperty, ColorProperty
from kivy.uix.label import Label
from kivy.utils import escape_markup

from kiosk.widgets.kv import load_kv_beside

__all__ = ["Caption", "Heading", "WrapLabel", "release_render_surfaces", "safe"]


def release_render_surfaces() -> None:
    """Let Kivy's SDL2 text provider free a label's drawing surface once it is rendered.

    ``LabelSDL2._render_end`` hands the pixels to the texture but keeps ``_surface``
    until the next render, so every label on every built screen holds its pixels twice.
    Nothing reads ``_surface`` after ``_render_end``: each render begins a new one.
    Idempotent; other text providers have no ``_surface`` and are left as they are.
    """
    render_end = CoreLabel._render_end
    if getattr(render_end, "releases_surface", False):
        return

    def _render_end(self: Any) -> Any:
        try:
            return render_end(self)
        finally:
            if hasattr(self, "_surface"):
                self._surface = None

    _render_end.releases_surface = True  # type: ignore[attr-defined]
    CoreLabel._render_end = _render_end


release_render_surfaces()


def _tight_render(core: Any, render: Any, real: bool = False) -> tuple[int, int]:
    """``core.render`` with the texture cut to the longest line when the box is wider.

    Kivy sizes a wrapping label's texture to ``text_size[0]``; the lines are laid out
    from the left padding (or centred/right-aligned in the width they get), so for
    ``halign`` left, center and right a texture as wide as the text shows the same.
    """
    size = render(real)
    if real:
        return size  # type: ignore[no-any-return]
    width, height = size
    options = core.options
    if core.text_size[0] is None or options["halign"] == "justify" or options["shorten"]:
        return width, height
    used = math.ceil(core._internal_size[0])
    return (used, height) if 1 < used < width else (width, height)


def safe(text: object) -> str:
    """``text`` with Kivy markup characters escaped, so ``[b]`` shows as ``[b]``."""
    escaped: str = escape_markup(str(text))
    return escaped


class WrapLabel(Label):
    """Body text: wraps at its width, its height follows the text (line spacing 1.35).

    Its texture is only as wide as the text (see the module's notes); ``texture_pos``
    puts it where Kivy's own full-width texture would have shown the text.
    """

    def _create_label(self) -> None:
        super()._create_label()
        core = self._label
        if "render" not in vars(core):
            render = type(core).render.__get__(core)
            core.render = lambda real=False: _tight_render(core, render, real)

    def _get_texture_pos(self) -> tuple[int, int]:
        # From x/y/width/height, not center_x/center_y: those aliases may not have seen
        # the same size change yet when this one is recomputed.
        width, height = self.texture_size
        middle = self.x + self.width / 2.0
        y = int(self.y + self.height / 2.0 - height / 2.0)
        box = self.text_size[0]
        if box is None or self.halign == "center":
            return int(middle - width / 2.0), y
        if self.halign == "right":
            return int(middle + box / 2.0 - width), y
        return int(middle - box / 2.0), y

    texture_pos = AliasProperty(
        _get_texture_pos,
        None,
        bind=("x", "y", "width", "height", "texture_size", "text_size", "halign"),
        cache=True,
    )
    """Where the texture is drawn, (x, y) in window pixels: read-only."""


class Heading(WrapLabel):
    """A screen's heading: large and bold."""


class Caption(WrapLabel):
    """Secondary text (times, places), still ≥ 18 dp."""


class Chip(Label):
    """A short coloured label sized to its text (status, category)."""

    bg_color = ColorProperty((0, 0, 0, 1))
    """Background colour, rgba, default black."""


load_kv_beside(__file__)
