"""A white rounded card whose height follows its content."""

from __future__ import annotations

from kivy.properties import ColorProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout

from kiosk.widgets.kv import load_kv_beside

__all__ = ["Card", "TapCard"]


class Card(BoxLayout):
    """Vertical box on a rounded surface; height = children + padding."""

    bg_color = ColorProperty((1, 1, 1, 1))
    """Surface colour, rgba, default white."""


class TapCard(ButtonBehavior, Card):
    """A card that is also a button (a list row to open)."""


load_kv_beside(__file__)
