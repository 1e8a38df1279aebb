"""What every screen shares: its host (content, media, clock, navigation) and its hooks."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.core.content import HallContent
from kiosk.widgets.kv import load_kv_beside

__all__ = ["KioskScreen", "ScreenHost", "item_name"]

log = logging.getLogger("kiosk.screens")

T = TypeVar("T")


class ScreenHost(Protocol):
    """What a screen may ask of the app that shows it."""

    @property
    def content(self) -> HallContent | None: ...
    def media_path(self, sha256: str) -> Path | None: ...
    def now(self) -> dt.datetime: ...
    def open(self, name: str, **params: Any) -> None: ...
    def back(self) -> None: ...
    def home(self) -> None: ...
    def not_shown(self, where: str, item: str, error: BaseException) -> None: ...


def item_name(item: object) -> str:
    """What to call a content item in a log line or on the maintenance screen."""
    for key in ("name", "title", "label", "id", "code"):
        value = getattr(item, key, None)
        if isinstance(value, str) and value:
            return value[:40]
    return type(item).__name__


class KioskScreen(Screen):
    """A screen: :meth:`show` on arrival, :meth:`refresh` on new content, :meth:`reset`."""

    heading = StringProperty("")
    """The screen's title for the resident, str."""

    def __init__(self, *, host: ScreenHost, **kwargs: Any) -> None:
        self.host = host
        self._shown_for: tuple[int, str] | None = None
        super().__init__(**kwargs)

    def show(self, **params: Any) -> None:
        """Arrive with navigation ``params``; rebuilt only when content or the minute changed.

        Screens whose lists depend on the clock (now/next, return times) are thus at most
        a minute old, and going back and forth costs no rebuild.
        """
        key = (id(self.host.content), self.host.now().strftime("%Y-%m-%d %H:%M"))
        if key != self._shown_for:
            self.refresh()
            self._shown_for = key

    def refresh(self) -> bool:
        """Redraw from ``host.content``; False when what it showed is gone."""
        return True

    def add_items(self, box: Any, items: Iterable[T], widget_for: Callable[[T], Any | None]) -> int:
        """Add ``widget_for(item)`` to ``box`` for each item; returns how many were added.

        The one guard where content items become widgets: an item whose widget cannot be
        built (a value the code did not expect) is left out and reported to the host
        (logged, listed on the maintenance screen); the other items still show.
        """
        added = 0
        for item in items:
            try:
                widget = widget_for(item)
            except Exception as exc:
                self.host.not_shown(self.name, item_name(item), exc)
                continue
            if widget is not None:
                box.add_widget(widget)
                added += 1
        return added

    def reset(self) -> None:
        """Forget the resident's state (scroll positions, choices) for the next person."""
        for scroll in _scroll_views(self):
            scroll.scroll_y = 1


def _scroll_views(widget: Any) -> list[Any]:
    from kivy.uix.scrollview import ScrollView

    found = []
    stack = [widget]
    while stack:
        w = stack.pop()
        if isinstance(w, ScrollView):
            found.append(w)
        stack.extend(w.children)
    return found


load_kv_beside(__file__)  # <ScreenPage>: the padded page every screen is laid on
