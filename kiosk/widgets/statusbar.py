"""The header of every screen: hall name and brand, date and time, online state.

Its top-left corner is the hidden way into maintenance: hold it for
:attr:`CornerHold.hold_seconds` and it fires ``on_long_press``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.core import clock
from kiosk.core.schedule import WEEKDAY_NAMES
from kiosk.i18n import _
from kiosk.widgets import icons, text  # noqa: F401  (kv rule)
from kiosk.widgets.kv import load_kv_beside

__all__ = ["CornerHold", "StatusBar", "date_text", "updated_text"]


def date_text(now: dt.datetime) -> str:
    """``2026年11月26日 周四``."""
    return _("{year}-{month}-{day} {weekday}").format(
        year=now.year, month=now.month, day=now.day, weekday=WEEKDAY_NAMES[now.isoweekday()]
    )


def updated_text(when: dt.datetime | None, now: dt.datetime) -> str:
    """ "更新于 14:02" today, "更新于 11月25日 14:02" earlier, "尚未更新" never."""
    if when is None:
        return _("Not updated yet")
    local = when.astimezone(now.tzinfo)
    if local.date() == now.date():
        return _("Updated {time}").format(time=local.strftime("%H:%M"))
    return _("Updated {month}/{day} {time}").format(
        month=local.month, day=local.day, time=local.strftime("%H:%M")
    )


class CornerHold(Widget):
    """An invisible corner that fires ``on_long_press`` after a long, still press."""

    hold_seconds = NumericProperty(3.0)
    """How long the finger must stay down, seconds, default 3."""

    __events__ = ("on_long_press",)

    def __init__(self, **kwargs: Any) -> None:
        self._pending: Any = None
        super().__init__(**kwargs)

    def on_touch_down(self, touch: Any) -> bool:
        if not self.collide_point(*touch.pos):
            return False
        self._cancel()
        self._pending = Clock.schedule_once(
            lambda _dt: self.dispatch("on_long_press"), self.hold_seconds
        )
        touch.ud["corner_hold"] = self
        return True

    def on_touch_up(self, touch: Any) -> bool:
        if touch.ud.get("corner_hold") is self:
            self._cancel()
            return True
        return False

    def _cancel(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None

    def on_long_press(self) -> None:
        pass


class StatusBar(BoxLayout):
    """Hall name, brand, the live clock and the online / offline / last-updated chip."""

    hall_name = StringProperty("")
    """The hall's name, already markup-safe or plain, str."""

    brand = StringProperty("")
    """The one-committee-one-brand line, str."""

    clock_text = StringProperty("")
    """HH:MM, updated every second, str."""

    date_line = StringProperty("")
    """Today's date and weekday, str."""

    online = BooleanProperty(False)
    """True while the server answers, bool."""

    state_text = StringProperty("")
    """在线 / 离线 / 演示内容, str."""

    updated = StringProperty("")
    """"更新于 14:02", str."""

    now = ObjectProperty(None)
    """A callable returning the hall's local aware datetime, default the system's zone
    (the app passes its own ``now``: the hall's zone)."""

    on_maintenance: Callable[[], None] | None = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._last_sync: dt.datetime | None = None
        self._tick()
        self._ticking = Clock.schedule_interval(self._tick, 1.0)

    def stop(self) -> None:
        """Stop the clock (the bar is being replaced)."""
        self._ticking.cancel()

    def _now(self) -> dt.datetime:
        return self.now() if self.now else clock.now().astimezone()

    def _tick(self, *_args: object) -> None:
        now = self._now()
        self.clock_text = now.strftime("%H:%M")
        self.date_line = date_text(now)

    def show_status(self, *, online: bool, demo: bool, last_sync: dt.datetime | None) -> None:
        """Reflect a sync status: online or offline, and when content was last confirmed."""
        self.online = online or demo
        if demo:
            self.state_text = _("Demo content")
            self.updated = ""
        else:
            self.state_text = _("Online") if online else _("Offline")
            self.updated = updated_text(last_sync, self._now())


load_kv_beside(__file__)
