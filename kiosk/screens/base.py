"""What every screen shares: its host (content, media, clock, navigation, the kiosk's
desk, speech and sync state) and its hooks. :class:`ScreenHost` is everything a screen
may use of the app; screens use nothing else of it."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.core.content import HallContent
from kiosk.widgets.kv import load_kv_beside

if TYPE_CHECKING:
    from kiosk.desk import KioskTicket, RequestDesk, TicketDesk
    from kiosk.feed import ContentFeed, SyncStatus
    from kiosk.read_aloud import ReadAloud
    from kiosk.settings import KioskSettings
    from kiosk.voice import Speaker

__all__ = ["KioskScreen", "ScreenHost", "item_name"]

log = logging.getLogger("kiosk.screens")

T = TypeVar("T")


class ScreenHost(Protocol):
    """What a screen may ask of the app that shows it (:class:`kiosk.app.KioskApp`)."""

    # -- what is shown ---------------------------------------------------------------

    @property
    def content(self) -> HallContent | None:
        """The hall content on screen, or None before the first."""
        ...

    def media_path(self, sha256: str) -> Path | None:
        """A cached media file (a photo) to draw, or None."""
        ...

    def now(self) -> dt.datetime:
        """The hall's local time (aware)."""
        ...

    def not_shown(self, where: str, item: str, error: BaseException) -> None:
        """Report a content item that could not be drawn (logged, on maintenance)."""
        ...

    # -- navigation ------------------------------------------------------------------

    def open(self, name: str, **params: Any) -> None:
        """Go to screen ``name`` with ``params``; 返回 comes back."""
        ...

    def back(self) -> None: ...
    def home(self) -> None: ...
    def ticket_taken(self, ticket: KioskTicket) -> None:
        """A ticket was just taken: show it on the ticket screen, said and printed once."""
        ...

    def stop(self, *largs: Any) -> None:
        """Leave the kiosk app (the maintenance screen's exit)."""
        ...

    # -- the kiosk's machinery -------------------------------------------------------

    @property
    def tickets(self) -> TicketDesk | None:
        """The ticket desk (outbox, courier, printer); None until the app has started."""
        ...

    @property
    def requests(self) -> RequestDesk | None:
        """The request desk (诉求: outbox, courier, printer, microphone); None until the
        app has started."""
        ...

    @property
    def speaker(self) -> Speaker:
        """What screens speak through."""
        ...

    @property
    def voice(self) -> ReadAloud:
        """Elder mode and read-aloud (the 长辈模式 switch)."""
        ...

    @property
    def settings(self) -> KioskSettings: ...
    @property
    def feed(self) -> ContentFeed:
        """Where content comes from (the maintenance screen's 立即同步)."""
        ...

    @property
    def sync_status(self) -> SyncStatus | None:
        """The latest sync status, or None before the first."""
        ...

    @property
    def not_shown_lines(self) -> list[str]:
        """What could not be shown, newest last (for the maintenance screen)."""
        ...


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
