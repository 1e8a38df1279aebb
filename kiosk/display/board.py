"""The hall display's board: who is called to which window, in type readable across a hall.

Top: the call being announced (flashing when new). Middle: every window with the number
it serves now, in very large type. Side (or bottom in portrait): the last calls and the
waiting count per queue. Calls come in through :meth:`DisplayBoard.on_event` (UI thread);
:class:`~kiosk.display.calls.CallSequence` lets one flash at a time, and each is handed
to the speaker as it starts (chime and voice, never overlapping).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from kivy.animation import Animation
from kivy.clock import Clock
from kivy.properties import NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label

from kiosk.core.content import CATEGORY_NAMES, HallContent
from kiosk.core.wire import EventPublic, EventType
from kiosk.display.calls import Call, CallSequence
from kiosk.i18n import _
from kiosk.widgets import text  # noqa: F401  (kv rules)
from kiosk.widgets.kv import load_kv_beside
from kiosk.widgets.text import safe

__all__ = ["DisplayBoard", "WaitingCell", "WaitingGrid", "WindowTile"]

log = logging.getLogger("kiosk.display")

#: Ticket states after which a ticket no longer stands at its window.
_LEFT = ("done", "no_show", "cancelled", "waiting")


class WindowTile(BoxLayout):
    """One service window and the number it serves now."""

    window = StringProperty("")
    number = StringProperty("")
    flash = NumericProperty(0.0)


class WaitingGrid(GridLayout):
    """The waiting count of every open queue, in columns."""

    rows_needed = NumericProperty(1)


class WaitingCell(Label):
    """One queue's waiting count."""


class DisplayBoard(BoxLayout):
    """The board; ``content()`` gives the hall content, ``speaker`` announces calls."""

    hall_name = StringProperty("")
    banner = StringProperty("")
    """The call being announced, or the latest one, str."""
    flash = NumericProperty(0.0)
    """1 while a new call flashes, fading to 0."""
    recent = StringProperty("")
    """The last calls, one a line, str."""
    waiting = StringProperty("")
    """Waiting count per queue, one a line, str."""
    clock_text = StringProperty("")

    def __init__(
        self,
        *,
        content: Callable[[], HallContent | None],
        speaker: Any = None,
        hold: float = 4.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._content = content
        self.speaker = speaker
        self.calls = CallSequence(hold=hold)
        self.tiles: dict[int, WindowTile] = {}
        self.counts: dict[str, int] = {}
        self.announced: list[Call] = []
        self.refresh()
        self._ticker = Clock.schedule_interval(self._tick, 0.1)

    # -- inputs (UI thread) ----------------------------------------------------------

    def on_event(self, event: EventPublic) -> None:
        """A server event: a call is queued for its turn; a finished ticket leaves its window."""
        data = event.data
        number = str(data.get("number", ""))
        window = data.get("window")
        window_no = int(window) if isinstance(window, int | str) and str(window).isdigit() else None
        if event.type is EventType.CALL and number:
            self.calls.arrive(Call(number, window_no, bool(data.get("recall"))))
            self._tick(0)
        elif event.type is EventType.TICKET and number and data.get("state") in _LEFT:
            self.calls.finished(number, window_no)
            self._draw_windows()

    def set_waiting(self, counts: dict[str, int]) -> None:
        self.counts = dict(counts)
        self._draw_waiting()

    def refresh(self) -> None:
        """Redraw from the hall content (windows, queue names)."""
        content = self._content()
        self.hall_name = safe(content.hall.name) if content is not None else ""
        windows: set[int] = set(self.calls.windows)
        if content is not None:
            for q in content.queues:
                windows.update(q.windows)
        grid = self.ids.windows
        for w in sorted(windows):
            if w not in self.tiles:
                self.tiles[w] = WindowTile(window=_("Window {n}").format(n=w))
        grid.clear_widgets()
        for w in sorted(self.tiles):
            grid.add_widget(self.tiles[w])
        self._draw_windows()
        self._draw_waiting()
        self._draw_recent()

    def stop(self) -> None:
        self._ticker.cancel()

    # -- drawing ---------------------------------------------------------------------

    def _tick(self, _dt: float) -> None:
        self.clock_text = time.strftime("%H:%M")
        call = self.calls.next_due(time.monotonic())
        if call is None:
            return
        if call.window is not None and call.window not in self.tiles:
            self.refresh()
        self.banner = _call_line(call)
        self.announced.append(call)
        for anim_target in (self, self.tiles.get(call.window or -1)):
            if anim_target is None:
                continue
            Animation.cancel_all(anim_target, "flash")
            anim_target.flash = 1.0
            (
                Animation(flash=0.2, duration=0.5)
                + Animation(flash=1.0, duration=0.5)
                + Animation(flash=0.0, duration=2.0)
            ).start(anim_target)
        self._draw_windows()
        self._draw_recent()
        if self.speaker is not None and call.window is not None:
            try:
                self.speaker.announce_call(call.number, call.window)
            except Exception:
                log.exception("announcing %s failed", call.number)

    def _draw_windows(self) -> None:
        for w, tile in self.tiles.items():
            tile.number = self.calls.windows.get(w, "—")

    def _draw_recent(self) -> None:
        lines = [_call_line(c) for c in self.calls.history]
        self.recent = "\n".join(lines) if lines else _("No numbers called yet")

    def _draw_waiting(self) -> None:
        content = self._content()
        lines = []
        if content is not None:
            for q in content.queues:
                if not q.open:
                    continue
                name = CATEGORY_NAMES.get(q.category, q.name)
                n = self.counts.get(q.code)
                count = _("{n} waiting").format(n=n) if n is not None else "…"
                lines.append(f"{q.code}  {safe(name)}   {count}")
        self.waiting = "\n".join(lines)
        grid = self.ids.waiting
        if len(grid.children) != len(lines):
            grid.clear_widgets()
            for _line in lines:
                grid.add_widget(WaitingCell())
        for cell, line in zip(reversed(grid.children), lines, strict=True):
            cell.text = line


def _call_line(call: Call) -> str:
    if call.window is None:
        return _("Now calling {number}").format(number=call.number)
    return _("{number} to window {window}").format(number=call.number, window=call.window)


load_kv_beside(__file__)
