"""The big tiles of the home screen: a drawn icon, a title and one line of help."""

from __future__ import annotations

from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout

from kiosk.widgets import icons, text  # noqa: F401  (kv rule uses ShapeIcon, WrapLabel)
from kiosk.widgets.kv import load_kv_beside

__all__ = ["BigTile"]


class BigTile(ButtonBehavior, BoxLayout):
    """A home-screen tile; ``glow`` (0…1) draws the attract loop's highlight ring."""

    title = StringProperty("")
    """The tile's name (服务指南), str."""

    subtitle = StringProperty("")
    """One line saying what is behind it, str."""

    icon = StringProperty("about")
    """Icon kind, see :class:`kiosk.widgets.icons.ShapeIcon`, str."""

    bg_color = ColorProperty((0.04, 0.24, 0.42, 1))
    """Tile colour, rgba; white text on it must reach 7:1."""

    glow = NumericProperty(0.0)
    """Attract-loop highlight strength, 0…1, default 0."""

    coming_soon = BooleanProperty(False)
    """True for a tile whose service is not open yet (shown, but does nothing)."""


load_kv_beside(__file__)
