"""Text widgets: labels that wrap to their width and grow to their text's height.

Server-supplied text goes through :func:`safe` before it is put into a markup label.
"""

from __future__ import annotations

from kivy.properties import ColorProperty
from kivy.uix.label import Label
from kivy.utils import escape_markup

from kiosk.widgets.kv import load_kv_beside

__all__ = ["Caption", "Heading", "WrapLabel", "safe"]


def safe(text: object) -> str:
    """``text`` with Kivy markup characters escaped, so ``[b]`` shows as ``[b]``."""
    return escape_markup(str(text))


class WrapLabel(Label):
    """Body text: wraps at its width, its height follows the text (line spacing 1.35)."""


class Heading(WrapLabel):
    """A screen's heading: large and bold."""


class Caption(WrapLabel):
    """Secondary text (times, places), still ≥ 18 dp."""


class Chip(Label):
    """A short coloured label sized to its text (status, category)."""

    bg_color = ColorProperty((0, 0, 0, 1))
    """Background colour, rgba, default black."""


load_kv_beside(__file__)
