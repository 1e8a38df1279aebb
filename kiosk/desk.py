"""The kiosk's ticket desk: the machinery behind the 取号 and ticket screens.

:class:`TicketDesk` holds the durable :class:`~kiosk.sync.outbox.TicketOutbox` (a ticket is
written to disk before it is shown, no network call on the UI thread), the
:class:`~kiosk.sync.courier.TicketCourier` that delivers tickets and leases numbers ahead
in the background, and the receipt printer. The app makes one at start and hands it to
the screens as ``host.tickets``; with no server (demo) it numbers from kiosk 1's own
series and delivers nothing.

Beside :mod:`kiosk.feed` (content) as its counterpart for tickets; imports no kivy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from kiosk.core.content import HallContent, Queue
from kiosk.printer import PrinterSettings, ReceiptPrinter, open_printer
from kiosk.settings import KioskSettings
from kiosk.sync.outbox import TicketOutbox
from kiosk.sync.requests_outbox import (
    CategoryChoice,
    KioskRequest,
    Lookup,
    PublicBoard,
    RequestOutbox,
)
from kiosk.sync.requests_outbox import default_categories as default_request_categories
from kiosk.sync.ticket import KioskTicket, NoNumberLeft

if TYPE_CHECKING:  # imported when there is a server: the demo needs no HTTP client
    from kiosk.sync.courier import TicketCourier
    from kiosk.sync.requests_courier import RequestCourier
    from kiosk.voice.recorder import VoiceNote, VoiceRecorder

__all__ = [
    "CategoryChoice",
    "KioskRequest",
    "KioskTicket",
    "Lookup",
    "NoNumberLeft",
    "PublicBoard",
    "RequestDesk",
    "TicketDesk",
    "default_request_categories",
    "open_queues",
]

log = logging.getLogger("kiosk.tickets")


def open_queues(content: HallContent | None) -> list[Queue]:
    """The hall's queues that take tickets today, in the hall's order."""
    if content is None:
        return []
    return [q for q in content.queues if q.open]


class TicketDesk:
    """The outbox, its courier and the printer of one kiosk.

    ``on_update`` gets tickets the server confirmed (called on the courier thread; the app
    moves it to the UI thread); ``on_backlog`` is called whenever the outbox backlog may
    have changed (the sync status re-reads it).
    """

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
        self.courier: TicketCourier | None = None
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
        self.printer: ReceiptPrinter = open_printer(PrinterSettings.from_mapping(settings.printer))

    def start(self) -> None:
        if self.courier is not None:
            self.courier.start()

    def stop(self) -> None:
        if self.courier is not None:
            self.courier.stop()

    def backlog(self) -> int:
        """Tickets taken here that the server has not confirmed yet."""
        return self.outbox.backlog()

    def take(self, queue: str, service_id: str | None, priority: bool) -> KioskTicket:
        """Number and store a ticket (durably, no network), then wake the courier.

        Raises :class:`NoNumberLeft` (its ``message`` is for the resident)."""
        refusal = self.clock_refusal() if self.clock_refusal is not None else None
        if refusal:
            raise NoNumberLeft(refusal)
        content = self._content()
        windows = 1
        if content is not None:
            q = content.queue(queue)
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


# --- requests (issue 13) -----------------------------------------------------------------


class RequestDesk:
    """The machinery behind 我要反映, 办事进度 and 办理公开 (``host.requests``).

    The durable :class:`~kiosk.sync.requests_outbox.RequestOutbox` (a request is on disk
    before its receipt shows), the :class:`~kiosk.sync.requests_courier.RequestCourier`
    that delivers it and keeps the categories and 办理公开 cached, the receipt printer and
    the microphone (:mod:`kiosk.voice.recorder`; none by default). ``on_update`` gets
    requests the server answered and ``on_board`` is told of fresh caches (both called on
    the courier's thread; the app moves them to the UI thread). With no server (demo) it
    stores requests and delivers nothing.
    """

    def __init__(
        self,
        settings: KioskSettings,
        *,
        printer: ReceiptPrinter | None = None,
        recorder: VoiceRecorder | None = None,
        public_base: Callable[[], str | None] | None = None,
        on_update: Callable[[list[KioskRequest]], None] | None = None,
        on_board: Callable[[], None] | None = None,
        on_backlog: Callable[[], None] | None = None,
    ) -> None:
        from kiosk.voice.recorder import NoRecorder

        base = public_base or (lambda: None if settings.demo else settings.server_url)
        self.outbox = RequestOutbox(
            settings.data_dir / "requests" / "outbox.sqlite3", public_base=base
        )
        self.voice_dir = settings.data_dir / "requests" / "voice"
        self.printer: ReceiptPrinter = printer or open_printer(
            PrinterSettings.from_mapping(settings.printer)
        )
        self.recorder: VoiceRecorder = recorder or NoRecorder()
        self._on_update = on_update
        self._on_backlog = on_backlog
        self.courier: RequestCourier | None = None
        if not settings.demo:
            from kiosk.sync.requests_courier import RequestCourier, RequestsClient

            self.courier = RequestCourier(
                self.outbox,
                RequestsClient(settings.server_url, settings.token),
                on_delivered=self._delivered,
                on_board=on_board,
            )

    def start(self) -> None:
        if self.courier is not None:
            self.courier.start()

    def stop(self) -> None:
        if self.courier is not None:
            self.courier.stop()

    def backlog(self) -> int:
        return self.outbox.backlog()

    def categories(self) -> list[CategoryChoice]:
        """The hall's categories (cached; the defaults before the first fetch)."""
        return self.outbox.categories()

    def submit(
        self,
        category: CategoryChoice,
        phrases: list[str],
        *,
        location: str | None,
        phone: str | None,
        voice: VoiceNote | None = None,
    ) -> KioskRequest:
        """Store the request durably (no network), then wake the courier."""
        request = self.outbox.add(
            category,
            phrases,
            location=location,
            phone=phone,
            voice_path=str(voice.path) if voice is not None else None,
        )
        if self.courier is not None:
            self.courier.wake()
        self._backlog_changed()
        return request

    def lookup(self, code: str, on_done: Callable[[Lookup], None]) -> None:
        """Look a 查询码 up in the background; ``on_done`` (another thread) gets the result."""
        if self.courier is None:
            on_done(Lookup(problem="offline", local=tuple(self.outbox.by_query_code(code))))
            return
        self.courier.lookup(code, on_done)

    def board(self) -> PublicBoard | None:
        """办理公开 as cached (None before the first fetch); asks for a fresh one."""
        if self.courier is not None:
            self.courier.refresh_board()
        return self.outbox.board()

    @property
    def online(self) -> bool:
        return self.courier is not None and self.courier.online

    def _backlog_changed(self) -> None:
        if self._on_backlog is not None:
            try:
                self._on_backlog()
            except Exception:
                log.exception("backlog callback failed")

    def _delivered(self, requests: list[KioskRequest]) -> None:
        if self._on_update is not None:
            self._on_update(requests)
        self._backlog_changed()
