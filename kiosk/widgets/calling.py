"""The "now calling" strip (正在叫号): the latest calls from the hall's windows."""

from __future__ import annotations

from typing import Any

from kivy.animation import Animation
from kivy.properties import ListProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.i18n import _
from kiosk.widgets import text  # noqa: F401  (kv rule)
from kiosk.widgets.kv import load_kv_beside

__all__ = ["NowCallingStrip", "call_text"]


def call_text(number: str, window: int | None) -> str:
    """ "请 A012 号到 2 号窗口" (numbers and windows come from the server: plain text)."""
    if window is None:
        return _("Now calling {number}").format(number=number)
    return _("{number} to window {window}").format(number=number, window=window)


class NowCallingStrip(BoxLayout):
    """Shows the most recent calls, newest first; flashes when a new one arrives."""

    calls = ListProperty([])
    """Recent calls as (number, window) pairs, newest first, at most :attr:`keep`."""

    keep = NumericProperty(3)
    """How many calls to show, int, default 3."""

    calls_text = StringProperty("")
    """The calls as one line, str."""

    flash = NumericProperty(0.0)
    """Highlight after a new call, 0…1."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bind(calls=self._update)
        self._update()

    def add_call(self, number: str, window: int | None) -> None:
        """A window called ``number``: put it first (a recall moves it to the front)."""
        rest = [c for c in self.calls if c[0] != number]
        self.calls = [(number, window), *rest][: int(self.keep)]
        Animation.cancel_all(self, "flash")
        self.flash = 1.0
        Animation(flash=0.0, duration=3.0).start(self)

    def clear(self) -> None:
        self.calls = []

    def _update(self, *_args: object) -> None:
        if not self.calls:
            self.calls_text = _("No numbers called yet")
        else:
            self.calls_text = "    ".join(call_text(n, w) for n, w in self.calls)


load_kv_beside(__file__)
