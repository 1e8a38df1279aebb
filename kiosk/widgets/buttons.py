"""Buttons a finger can hit: big rounded buttons and the 返回 / 首页 bar."""

from __future__ import annotations

from kivy.properties import ColorProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label

from kiosk.theme import rgba
from kiosk.widgets import icons  # noqa: F401  (kv rule uses ShapeIcon)
from kiosk.widgets.kv import load_kv_beside

__all__ = ["BigButton", "IconButton", "NavBar"]


class BigButton(ButtonBehavior, Label):
    """A rounded button at least ``theme.target`` high; its text wraps to its width."""

    bg_color = ColorProperty(rgba("#0A3D6B"))
    """Background colour, rgba, default the theme's button blue."""


class IconButton(ButtonBehavior, BoxLayout):
    """A big button with a drawn icon left of its text (返回, 首页)."""

    text = StringProperty("")
    """The button's text, str."""

    icon = StringProperty("back")
    """Icon kind (see :class:`kiosk.widgets.icons.ShapeIcon`), str, default "back"."""

    bg_color = ColorProperty(rgba("#0A3D6B"))
    """Background colour, rgba."""

    fg_color = ColorProperty(rgba("#FFFFFF"))
    """Text and icon colour, rgba."""


class NavBar(BoxLayout):
    """The 返回 and 首页 buttons at the bottom of every screen but home."""

    navigator = ObjectProperty(None, allownone=True)
    """What goes back and home: an object with ``back()`` and ``home()``; default None."""


load_kv_beside(__file__)
