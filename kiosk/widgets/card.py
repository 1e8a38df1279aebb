"""A white rounded card whose height follows its content."""

from __future__ import annotations

from typing import Any

from kivy.properties import ColorProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from kiosk.widgets.kv import load_kv_beside

__all__ = ["Card", "CardGrid", "TapCard"]


class Card(BoxLayout):
    """Vertical box on a rounded surface; height = children + padding."""

    bg_color = ColorProperty((1, 1, 1, 1))
    """Surface colour, rgba, default white."""


class TapCard(ButtonBehavior, Card):
    """A card that is also a button (a list row to open)."""


class CardGrid(GridLayout):
    """A grid of cards whose rows are top-aligned (GridLayout puts short cells at the bottom)."""

    def do_layout(self, *args: Any) -> None:
        super().do_layout(*args)
        cols = max(1, int(self.cols or 1))
        cells = list(reversed(self.children))
        for start in range(0, len(cells), cols):
            row = cells[start : start + cols]
            top = max(c.y + c.height for c in row)
            for c in row:
                c.y = top - c.height


load_kv_beside(__file__)
