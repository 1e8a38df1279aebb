"""取号: a queue number in two taps from home — 取号, then the queue's tile.

:class:`TicketDesk` is the kiosk's ticket machinery behind the screens: the durable
:class:`~kiosk.sync.outbox.TicketOutbox` (a ticket is written to disk before it is shown,
no network call on the UI thread) and the :class:`~kiosk.sync.courier.TicketCourier`
that delivers tickets and leases numbers ahead in the background. The app makes one at
start (:meth:`TicketDesk.for_app`); with no server (demo) it numbers from kiosk 1's own
series and delivers nothing.

:class:`TakeNumberScreen` shows the hall's open queues as tiles (category, queue name and
the services each takes) under a 绿色通道 (priority) toggle: a tile takes the ticket, once
(``busy`` from the first tap, and the ticket screen replaces this one in the same frame).
Why no service step and no confirm step: docs/TICKETS.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty

from kiosk.core.content import CATEGORY_NAMES, HallContent, Queue, Service
from kiosk.i18n import _
from kiosk.screens.base import KioskScreen
from kiosk.settings import KioskSettings
from kiosk.sync.outbox import KioskTicket, NoNumberLeft, TicketOutbox
from kiosk.theme import theme
from kiosk.widgets import buttons, card, text  # noqa: F401  (kv rules)
from kiosk.widgets.buttons import BigButton
from kiosk.widgets.kv import load_kv_beside
from kiosk.widgets.text import safe

__all__ = ["TakeNumberScreen", "TicketDesk", "open_queues"]

log = logging.getLogger("kiosk.tickets")


def open_queues(content: HallContent | None) -> list[Queue]:
    """The hall's queues that take tickets today, in the hall's order."""
    if content is None:
        return []
    return [q for q in content.queues if q.open]


class TicketDesk:
    """The outbox and its courier for one kiosk; ``on_update`` gets tickets the server
    confirmed (called on the courier thread; the app moves it to the UI thread)."""

    def __init__(
        self,
        settings: KioskSettings,
        content: Callable[[], HallContent | None],
        *,
        on_update: Callable[[list[KioskTicket]], None] | None = None,
        on_backlog: Callable[[], None] | None = None,
    ) -> None:
        current = content()
        zone = current.hall.zone if current is not None else settings.zone()
        path = settings.data_dir / "tickets" / "outbox.sqlite3"
        self.outbox = TicketOutbox(
            path,
            zone=zone,
            kiosk_no=1 if settings.demo else None,
            public_base_url=None if settings.demo else settings.server_url,
        )
        self._content = content
        self._on_update = on_update
        self._on_backlog = on_backlog
        self.courier: Any = None
        #: Why no ticket may be numbered now (the clock check, kiosk/care_hooks.py).
        self.clock_refusal: Callable[[], str | None] | None = None
        if not settings.demo:
            from kiosk.sync.client import HallClient
            from kiosk.sync.courier import TicketCourier

            self.courier = TicketCourier(
                self.outbox,
                HallClient(settings.server_url, settings.token),
                queues=lambda: [q.code for q in open_queues(self._content())],
                on_delivered=self._delivered,
            )
        from kiosk.printer import PrinterSettings, ReceiptPrinter, open_printer

        self.printer: ReceiptPrinter = open_printer(PrinterSettings.from_mapping(settings.printer))

    @classmethod
    def for_app(cls, app: Any) -> TicketDesk:
        return cls(
            app.settings,
            lambda: app.content,
            on_update=lambda ts: Clock.schedule_once(lambda _dt: app.ticket_update(ts)),
            # The sync status (status bar, maintenance screen, heartbeat) re-reads the
            # backlog when the feed is asked to look again.
            on_backlog=app.feed.refresh_now,
        )

    def start(self) -> None:
        if self.courier is not None:
            self.courier.start()

    def stop(self) -> None:
        if self.courier is not None:
            self.courier.stop()

    def backlog(self) -> int:
        return self.outbox.backlog()

    def take(self, queue: str, service_id: str | None, priority: bool) -> KioskTicket:
        """Number and store a ticket (durably, no network), then wake the courier."""
        refusal = self.clock_refusal() if self.clock_refusal is not None else None
        if refusal:
            raise NoNumberLeft(refusal)
        content = self._content()
        windows = 1
        if content is not None:
            q = next((q for q in content.queues if q.code == queue), None)
            windows = max(1, len(q.windows)) if q is not None else 1
        ticket = self.outbox.take(queue, service_id, priority, windows=windows)
        if self.courier is not None:
            self.courier.wake()
        self._backlog_changed()
        return ticket

    def _backlog_changed(self) -> None:
        if self._on_backlog is not None:
            try:
                self._on_backlog()
            except Exception:
                log.exception("backlog callback failed")

    def _delivered(self, tickets: list[KioskTicket]) -> None:
        if self._on_update is not None:
            self._on_update(tickets)
        self._backlog_changed()


#: Service names shown on a queue's tile (so a resident finds the right one), at most:
#: by orientation; landscape keeps the tiles to three rows on one screen.
TILE_SERVICES = {"portrait": 2, "landscape": 1}


class TakeNumberScreen(KioskScreen):
    """The hall's open queues as tiles; one tap on a tile takes the number.

    The service is not asked: a ticket's queue decides the window, and each tile already
    is one queue (its category and name, and the names of the services it takes, so a
    resident finds the right one). 绿色通道 is a toggle above the tiles (a third tap for
    those who need it). A mistaken tap costs little: the ticket screen's large
    重新取号 button comes straight back here.
    """

    prompt = StringProperty("")
    """What the resident is asked, str."""

    priority = BooleanProperty(False)
    """绿色通道 chosen, bool."""

    busy = BooleanProperty(False)
    """True from a tile's tap until the ticket screen shows, bool."""

    message = StringProperty("")
    """A problem to show (no number available), str."""

    def show(self, **params: Any) -> None:
        self.reset_choice()
        self.refresh()

    def reset(self) -> None:
        super().reset()
        self.reset_choice()

    def reset_choice(self) -> None:
        self.priority = False
        self.busy = False
        self.message = ""

    def refresh(self) -> bool:
        self.heading = _("Take a number")
        grid = self.ids.choices
        grid.clear_widgets()
        self.ids.scroll.scroll_y = 1
        content = self.host.content
        queues = open_queues(content)
        self.prompt = _("Tap what you need: the number is given at once.")

        def queue_button(q: Queue) -> BigButton:
            name = safe(CATEGORY_NAMES.get(q.category, q.category))
            label = name
            if q.name and q.name != CATEGORY_NAMES.get(q.category):
                label += f"\n[size={int(theme.font_body)}]{safe(q.name)}[/size]"
            services = [s.name for s in self._services(content, q)]
            most = TILE_SERVICES.get(theme.orientation, 1)
            if services and not theme.elder:  # elder mode: the large name alone (and said)
                shown = "、".join(safe(n) for n in services[:most])
                if len(services) > most:
                    shown += _("… and more")
                label += f"\n[size={int(theme.font_body)}][b]{shown}[/b][/size]"
            button = BigButton(text=label, markup=True)
            button.speech = (  # type: ignore[attr-defined]
                name
                if not q.name or q.name == CATEGORY_NAMES.get(q.category)
                else f"{name} {q.name}"
            )
            button.queue_code = q.code  # type: ignore[attr-defined]
            button.bind(on_release=lambda _b, code=q.code: self.take(code))
            button.bind(texture_size=self._even_rows)
            return button

        self.add_items(grid, queues, queue_button)
        if not queues:
            self.prompt = _("No queue takes numbers today. Please ask at a window.")
        desk: TicketDesk | None = getattr(self.host, "tickets", None)
        refusal = desk.clock_refusal() if desk is not None and desk.clock_refusal else None
        if refusal:
            self.prompt = refusal  # 时间校准中 (kiosk/care_hooks.py), instead of numbering
        return True

    def _even_rows(self, *_args: Any) -> None:
        """Every tile as high as the tallest (a tidy grid, one size of target)."""
        tiles = self.ids.choices.children
        if tiles:
            tallest = max(b.texture_size[1] for b in tiles) + theme.pad
            for b in tiles:
                b.height = max(theme.target * (1.0 if theme.elder else 1.4), tallest)

    @staticmethod
    def _services(content: HallContent | None, queue: Queue) -> list[Service]:
        if content is None:
            return []
        return [
            s
            for s in content.services
            if s.queue == queue.code or (s.queue is None and s.category == queue.category)
        ]

    def toggle_priority(self) -> None:
        self.priority = not self.priority

    def take(self, queue: str) -> None:
        """Take a ticket for ``queue`` (once) and show it."""
        desk: TicketDesk | None = getattr(self.host, "tickets", None)
        if (
            self.busy
            or desk is None
            or not any(q.code == queue for q in open_queues(self.host.content))
        ):
            return
        self.busy = True
        self.message = ""
        try:
            ticket = desk.take(queue, None, self.priority)
        except NoNumberLeft as exc:
            self.busy = False
            self.message = exc.message
            return
        except Exception:  # our disk: never crash the kiosk in front of a resident
            log.exception("taking a ticket failed")
            self.busy = False
            self.message = _("Sorry, no number can be given right now. Please ask at a window.")
            return
        # 返回 on the ticket goes home; 重新取号 comes back here.
        self.host.home()
        self.host.open("ticket", local_id=ticket.local_id)
        self.host.screen("ticket").issued(ticket)  # type: ignore[attr-defined]


load_kv_beside(__file__)
