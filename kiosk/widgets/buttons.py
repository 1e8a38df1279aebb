"""Buttons a finger can hit: big rounded buttons and the bottom bar.

The bottom bar (:class:`NavBar`) holds 返回 and 首页 (not on home) and the speech buttons:
朗读 (read this screen aloud) in normal mode; 重复 and 停止 in elder mode, on every screen
including home. Its navigator is the app (``back``, ``home`` and ``voice``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from kivy.properties import BooleanProperty, ColorProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label

from kiosk.theme import rgba, theme
from kiosk.widgets import icons  # noqa: F401  (kv rule uses ShapeIcon)
from kiosk.widgets.kv import load_kv_beside

if TYPE_CHECKING:
    from kiosk.read_aloud import ReadAloud

__all__ = ["BigButton", "IconButton", "NavBar", "Navigator", "SpeechButton"]


class BigButton(ButtonBehavior, Label):
    """A rounded button at least ``theme.target`` high; its text wraps to its width."""

    bg_color = ColorProperty(rgba("#0A3D6B"))
    """Background colour, rgba, default the theme's button blue."""

    speech = StringProperty("")
    """What an elder-mode tap says when not the text (a short name), str, default ""."""


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


class SpeechButton(IconButton):
    """重复 / 停止 / 朗读: its own tap is not echoed (that would cut short what it asks for)."""

    quiet_tap = True


class Navigator(Protocol):
    """What the bottom bar needs of the app: the way back, the way home, the voice."""

    def back(self) -> None: ...
    def home(self) -> None: ...
    @property
    def voice(self) -> ReadAloud: ...


class NavBar(GridLayout):
    """The bottom bar: 返回 and 首页 (not on home), 朗读 or (elder mode) 重复 and 停止."""

    navigator = ObjectProperty(None, allownone=True)
    """What goes back and home and speaks: ``back()``, ``home()``, ``voice``; default None."""

    at_home = BooleanProperty(False)
    """True while the home screen is on show (no 返回 / 首页 there), bool."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Strong references: ``ids`` holds weak proxies, and removed buttons must survive.
        self.buttons = {k: self.ids[k].__self__ for k in ("back", "home", "read", "again", "stop")}
        self.bind(at_home=self.arrange)
        theme.bind(orientation=self.arrange, elder=self.arrange, target=self.arrange)
        self.arrange()

    def shown(self) -> list[str]:
        """Names of the buttons on show now, left to right."""
        names = [] if self.at_home else ["back", "home"]
        return names + (["again", "stop"] if theme.elder else ["read"])

    def arrange(self, *_args: Any) -> None:
        names = self.shown()
        self.clear_widgets()
        self.cols = 2 if theme.orientation == "portrait" and len(names) > 3 else len(names)
        rows = (len(names) + self.cols - 1) // self.cols
        for name in names:
            self.add_widget(self.buttons[name])
        self.height = rows * theme.target + (rows - 1) * theme.gap + theme.nav_height - theme.target

    def speak(self, what: str) -> None:
        """朗读 / 重复 (``"repeat"``) or 停止 (``"stop"``) through the navigator's voice."""
        navigator: Navigator | None = self.navigator
        if navigator is None:
            return
        if what == "stop":
            navigator.voice.stop()
        else:
            navigator.voice.repeat()


load_kv_beside(__file__)
