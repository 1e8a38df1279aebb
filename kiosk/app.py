"""The kiosk's Kivy App: the shell that builds the screens and moves between them.

It owns the header, the screen manager, the "now calling" strip and the 返回 / 首页 bar;
loads each screen the first time it is needed and keeps it; feeds content and sync
status to them on the Kivy main thread; and sends everyone home after the idle time
(:mod:`kiosk.idle_watch`).
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk.assets import register_fonts
from kiosk.core import clock
from kiosk.core.content import HallContent, Snapshot
from kiosk.core.wire import EventPublic, EventType
from kiosk.feed import ContentFeed
from kiosk.i18n import install
from kiosk.idle import IdleTimer
from kiosk.idle_watch import ATTRACT_AFTER, ATTRACT_STEP, IdleWatch
from kiosk.screens import SCREENS, WARM_UP, WARM_UP_FILLED
from kiosk.screens.base import KioskScreen
from kiosk.settings import KioskSettings
from kiosk.sync.status import SyncStatus
from kiosk.theme import theme
from kiosk.window import follow_window, lock_window

if TYPE_CHECKING:
    from kiosk.care_hooks import CareHooks
    from kiosk.desk import KioskRequest, KioskTicket, RequestDesk, TicketDesk
    from kiosk.read_aloud import ReadAloud
    from kiosk.voice import Speaker
    from kiosk.widgets.buttons import NavBar
    from kiosk.widgets.calling import NowCallingStrip
    from kiosk.widgets.statusbar import StatusBar

__all__ = ["SCREENS", "KioskApp"]

log = logging.getLogger("kiosk.app")

#: How many "could not be shown" lines the maintenance screen keeps (newest last).
NOT_SHOWN_KEPT = 20


class KioskApp(IdleWatch, App):
    """Wires settings, content feed, screens and navigation; holds no screen logic."""

    content = ObjectProperty(None, allownone=True)
    """The hall content on screen, :class:`HallContent` or None before the first."""

    sync_status = ObjectProperty(None, allownone=True)
    """The latest :class:`kiosk.sync.status.SyncStatus`, or None."""

    current_name = StringProperty("home")
    """Name of the screen on show, str."""

    # The chrome around the screens, made by build() (and again by restyle()).
    status_bar: StatusBar
    calling: NowCallingStrip
    nav: NavBar

    def __init__(self, *, settings: KioskSettings, feed: ContentFeed, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.title = "居民之家"
        self.settings = settings
        self.feed = feed
        self.history: list[tuple[str, dict[str, Any]]] = []
        self.params: dict[str, Any] = {}
        self.screens: dict[str, KioskScreen] = {}
        #: The ticket desk (outbox, courier, printer), made at start.
        self.tickets: TicketDesk | None = None
        #: The request desk (诉求: outbox, courier, printer, microphone), made at start.
        self.requests: RequestDesk | None = None
        #: Remote care from the fleet page and the clock check (kiosk/care_hooks.py).
        self.care: CareHooks | None = None
        self.idle = IdleTimer(settings.idle_seconds)
        self._warning: Any = None
        self._last_attract = 0.0
        #: Quiet seconds on home before the attract loop, and between its steps.
        self.attract_after, self.attract_step = ATTRACT_AFTER, ATTRACT_STEP
        self._clean = True
        self._snapshot_version: int | None = None
        #: What could not be shown ("staff: 张三: OverflowError …"), for maintenance.
        self.not_shown_lines: list[str] = []

    # -- building --------------------------------------------------------------------

    def build(self) -> BoxLayout:
        install(self.settings.language)
        register_fonts()
        from kiosk.read_aloud import ReadAloud

        #: Speech (kiosk.read_aloud): opened without waiting for the engine.
        self.voice: ReadAloud = ReadAloud(self)
        self.voice.set_elder(self.settings.elder_default, announce=False)
        follow_window(Window)
        self.root_box = BoxLayout(orientation="vertical")
        self._build_chrome()
        self._set_snapshot(self.feed.current())
        self._show("home", {})
        self.show_status(self.feed.status())
        # A new type scale or elder mode rebuilds the widgets (see :meth:`restyle`).
        self._restyle_trigger = Clock.create_trigger(self.restyle, 0)
        theme.bind(scale=self._restyle_trigger, elder=self._restyle_trigger)
        return self.root_box

    def _build_chrome(self) -> None:
        from kiosk.widgets.buttons import NavBar
        from kiosk.widgets.calling import NowCallingStrip
        from kiosk.widgets.statusbar import StatusBar

        calls = list(self.calling.calls) if hasattr(self, "calling") else []
        if hasattr(self, "status_bar"):
            self.status_bar.stop()
        self.root_box.clear_widgets()
        self.status_bar = StatusBar(now=self.now)
        self.status_bar.on_maintenance = lambda: self.open("maintenance")
        self.manager = ScreenManager(transition=NoTransition())
        self.calling = NowCallingStrip()
        self.calling.calls = calls
        self.nav = NavBar(navigator=self)
        for w in (self.status_bar, self.manager, self.calling, self.nav):
            self.root_box.add_widget(w)

    def restyle(self, *_args: Any) -> None:
        """Rebuild every widget after the theme changed (elder mode, another type scale).

        Kivy keeps a class rule's bindings alive next to an instance's overrides (a tile's
        white title vs. the label class's ``theme.text``); after a theme change the class
        rule would win. Fresh widgets evaluate both rules in order again. The resident's
        place (screen, parameters, way back) is kept.
        """
        name, params, history = self.current_name, dict(self.params), list(self.history)
        # Old screens are dropped whole (not emptied first): a detached page whose screen
        # had died would still get theme changes, and its kv rules' ``root`` would be gone.
        self.screens.clear()
        self._build_chrome()
        self._set_snapshot_labels()
        if self.sync_status is not None:
            self.show_status(self.sync_status)
        Window.clearcolor = theme.bg
        self.history = history
        self._show(name, params)
        self._warm_up_later()

    @property
    def speaker(self) -> Speaker:
        """The :class:`kiosk.voice.Speaker` screens speak through."""
        return self.voice.speaker

    def on_start(self) -> None:
        Window.bind(on_touch_down=self._on_any_touch, on_touch_up=self.voice.touch_up)
        if not self.settings.windowed:
            lock_window(Window, self.settings.orientation)
        self._ticker = Clock.schedule_interval(self._tick, 0.5)
        from kiosk.desk import TicketDesk

        desk = TicketDesk(
            self.settings,
            lambda: self.content,
            on_update=lambda ts: Clock.schedule_once(lambda _dt: self.ticket_update(ts)),
            # The sync status (status bar, maintenance screen, heartbeat) re-reads the
            # backlog when the feed is asked to look again.
            on_backlog=self.feed.refresh_now,
        )
        self.tickets = desk
        desk.start()
        from kiosk.desk import RequestDesk

        self.requests = RequestDesk(
            self.settings,
            printer=desk.printer,
            public_base=lambda: (
                desk.outbox.public_base_url
                or (None if self.settings.demo else self.settings.server_url)
            ),
            on_update=lambda rs: Clock.schedule_once(lambda _dt: self.request_update(rs)),
            on_board=lambda: Clock.schedule_once(lambda _dt: self.board_update()),
            on_backlog=self.feed.refresh_now,
        )
        self.requests.start()
        from kiosk.care_hooks import start_care  # remote care, clock check (care_hooks.py)

        self.care = start_care(self)
        self.feed.start(
            on_content=lambda snap: Clock.schedule_once(lambda _dt: self.apply_snapshot(snap)),
            on_event=lambda ev: Clock.schedule_once(lambda _dt: self.apply_event(ev)),
            on_status=lambda st: Clock.schedule_once(lambda _dt: self.show_status(st)),
            outbox_backlog=desk.backlog,
        )
        self._warm_up_later()

    def _warm_up_later(self) -> None:
        """Build the other screens in idle time, one per frame, after home is on screen."""
        self._warm_up = [n for n in WARM_UP if n in SCREENS]
        Clock.schedule_once(self._warm_up_next, 0.5)

    def _warm_up_next(self, _dt: float) -> None:
        while self._warm_up:
            name = self._warm_up.pop(0)
            if name in self.screens:
                continue
            screen = self.screen(name)
            if name in WARM_UP_FILLED:
                self._guarded(screen, screen.show)
            Clock.schedule_once(self._warm_up_next, 0)
            return

    def on_stop(self) -> None:
        if self.care is not None:
            self.care.stop()
        self.voice.close()
        self.feed.stop()
        if self.tickets is not None:
            self.tickets.stop()
        if self.requests is not None:
            self.requests.stop()

    def ticket_update(self, tickets: list[KioskTicket]) -> None:
        """The server confirmed tickets this kiosk issued: the ticket screen redraws."""
        from kiosk.screens.ticket import TicketScreen

        screen = self.screens.get("ticket")
        if isinstance(screen, TicketScreen):
            screen.ticket_update(tickets)

    def request_update(self, requests: list[KioskRequest]) -> None:
        """The server answered for requests made here: the receipt shows the number."""
        from kiosk.screens.report import ReportScreen

        screen = self.screens.get("report")
        if isinstance(screen, ReportScreen):
            screen.request_update(requests)

    def board_update(self) -> None:
        """Fresh 办理公开 figures (and categories) in the cache: redraw 办理公开."""
        screen = self.screens.get("openness")
        if screen is not None and self.current_name == "openness":
            self._guarded(screen, screen.refresh)

    def ticket_taken(self, ticket: KioskTicket) -> None:
        """A ticket was just taken: on the ticket screen (返回 goes home), said, printed."""
        from kiosk.screens.ticket import TicketScreen

        self.home()
        self.open("ticket", local_id=ticket.local_id)
        screen = self.screens["ticket"]
        if isinstance(screen, TicketScreen):
            screen.issued(ticket)

    # -- the host protocol for screens -----------------------------------------------

    def now(self) -> dt.datetime:
        """The hall's local time (aware): in the content's zone, before any content in the
        ``hall_timezone`` setting's (else the system's)."""
        zone = self.content.hall.zone if self.content is not None else self.settings.zone()
        return clock.now(zone)

    def media_path(self, sha256: str) -> Path | None:
        return self.feed.media_path(sha256)

    def open(self, name: str, **params: Any) -> None:
        """Go to screen ``name`` with ``params``; 返回 comes back here."""
        if name not in SCREENS:
            raise KeyError(name)
        self.history.append((self.current_name, self.params))
        self._show(name, params)

    def back(self) -> None:
        """One step back; from the first level, home."""
        if not self.history:
            self.home()
            return
        name, params = self.history.pop()
        self._show(name, params)

    def home(self) -> None:
        """Home, with the way back forgotten."""
        self.history.clear()
        self._show("home", {})

    def reset(self) -> None:
        """Idle reset: home, and every screen forgets the last resident."""
        if self._warning is not None:
            self._warning.dismiss()
            self._warning = None
        for screen in self.screens.values():
            screen.reset()
        self.voice.reset()
        self.home()

    def screen(self, name: str) -> KioskScreen:
        """The screen ``name``, loaded (module, kv rule, instance) on first use."""
        if name not in self.screens:
            module_name, class_name = SCREENS[name]
            cls = getattr(importlib.import_module(module_name), class_name)
            screen = cls(name=name, host=self)
            self.screens[name] = screen
            self.manager.add_widget(screen)
        return self.screens[name]

    def not_shown(self, where: str, item: str, error: BaseException) -> None:
        """A content item (or a whole screen) that could not be drawn: log it, list it."""
        log.error("not shown on %s: %s", where, item, exc_info=error)
        line = f"{where}：{item}：{type(error).__name__}: {error}"[:300]
        if line not in self.not_shown_lines:
            self.not_shown_lines = [*self.not_shown_lines, line][-NOT_SHOWN_KEPT:]
        if "maintenance" in self.screens and where != "maintenance":
            self.screens["maintenance"].refresh()

    def _guarded(self, screen: KioskScreen, call: Any, **params: Any) -> bool:
        """Run a screen's show/refresh; if it fails on content, say so and carry on.

        The item-by-item guard is :meth:`KioskScreen.add_items`; this catches what a
        screen draws from one item (one notice, one service) or from the hall itself.
        """
        try:
            return call(**params) is not False
        except Exception as exc:
            self.not_shown(screen.name, screen.heading or screen.name, exc)
            return False

    def _show(self, name: str, params: dict[str, Any]) -> None:
        screen = self.screen(name)
        if not self._guarded(screen, screen.show, **params) and name != "home":
            # What was tapped cannot be drawn: home rather than half a page.
            self.history.clear()
            name, params = "home", {}
            screen = self.screen(name)
            self._guarded(screen, screen.show)
        self.params = params
        self.current_name = name
        self.manager.current = name
        home = name == "home"
        self.nav.at_home = home
        bar = not home or theme.elder  # elder mode: 重复 / 停止 on home too
        if not bar and self.nav.parent is not None:
            self.root_box.remove_widget(self.nav)
        elif bar and self.nav.parent is None:
            self.root_box.add_widget(self.nav)
        if home:
            self._last_attract = 0.0
        self.voice.screen_shown(screen)

    # -- content and events (main thread only) ---------------------------------------

    def _set_snapshot(self, snap: Snapshot | None) -> None:
        self.content = snap.content if snap is not None else None
        self._snapshot_version = snap.version if snap is not None else None
        self._set_snapshot_labels()

    def _set_snapshot_labels(self) -> None:
        content: HallContent | None = self.content
        if content is None:
            self.status_bar.hall_name = self.settings.fallback_hall_name
            self.status_bar.brand = ""
        else:
            from kiosk.widgets.text import safe

            self.status_bar.hall_name = safe(content.hall.short_name)
            self.status_bar.brand = safe(content.hall.brand.title)

    def apply_snapshot(self, snap: Snapshot) -> None:
        """New content from the feed: show it everywhere, keeping the resident's place."""
        self._set_snapshot(snap)
        for name, screen in list(self.screens.items()):
            still_there = self._guarded(screen, screen.refresh)
            if name == self.current_name and not still_there and name != "home":
                self.home()

    def apply_event(self, event: EventPublic) -> None:
        """A server event: calls go on the "now calling" strip."""
        if event.type is EventType.CARE and self.care is not None:
            self.care.wake()  # the fleet page asks something of a kiosk of this hall
        if event.type is EventType.CALL:
            number = str(event.data.get("number", ""))
            window = event.data.get("window")
            if number:
                self.calling.add_call(number, int(window) if window is not None else None)
                self.voice.call(number, int(window) if window is not None else None)

    def show_status(self, status: SyncStatus) -> None:
        self.sync_status = status
        self.status_bar.show_status(
            online=status.online, demo=status.demo, last_sync=status.last_sync
        )
        if "maintenance" in self.screens:
            self.screens["maintenance"].refresh()

    @property
    def content_version(self) -> int | None:
        return self._snapshot_version
