"""取号: take a queue number in three taps — what for, (which service), confirm.

:class:`TicketDesk` is the kiosk's ticket machinery behind the screens: the durable
:class:`~kiosk.sync.outbox.TicketOutbox` (a ticket is written to disk before it is shown,
no network call on the UI thread) and the :class:`~kiosk.sync.courier.TicketCourier`
that delivers tickets and leases numbers ahead in the background. The app makes one at
start (:meth:`TicketDesk.for_app`); with no server (demo) it numbers from kiosk 1's own
series and delivers nothing.

:class:`TakeNumberScreen` steps through: the hall's categories with an open queue → the
services of that category (skipped when there are none) → the confirm page with the
绿色通道 (priority) choice. The confirm button takes the ticket once: it is disabled at
the first tap, and the ticket screen replaces this one at once.
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


class TakeNumberScreen(KioskScreen):
    """Category → service → confirm (with 绿色通道); then the ticket screen."""

    step = StringProperty("category")
    """"category", "service" or "confirm", str."""

    prompt = StringProperty("")
    """What the resident is asked on this step, str."""

    choice = StringProperty("")
    """The confirm page's summary of the choice (markup), str."""

    priority = BooleanProperty(False)
    """绿色通道 chosen, bool."""

    busy = BooleanProperty(False)
    """True from the confirm tap until the ticket screen shows, bool."""

    message = StringProperty("")
    """A problem to show (no number available), str."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.queue = ""
        self.service_id: str | None = None
        # The choices list and the confirm page take turns in the body.
        self._pages = {"list": self.ids.scroll.__self__, "confirm": self.ids.confirm_page.__self__}
        for page in self._pages.values():
            page.parent.remove_widget(page)
        self.ids.body.add_widget(self._pages["list"])

    def _place(self) -> None:
        wanted = self._pages["confirm" if self.step == "confirm" else "list"]
        body = self.ids.body
        if wanted.parent is not body:
            body.clear_widgets()
            body.add_widget(wanted)
        if wanted is self._pages["list"]:
            wanted.scroll_y = 1

    def show(self, **params: Any) -> None:
        self.reset_choice()
        self.refresh()

    def reset(self) -> None:
        super().reset()
        self.reset_choice()

    def reset_choice(self) -> None:
        self.step = "category"
        self.queue = ""
        self.service_id = None
        self.priority = False
        self.busy = False
        self.message = ""

    # -- steps ---------------------------------------------------------------------

    def refresh(self) -> bool:
        self._place()
        self.heading = _("Take a number")
        grid = self.ids.choices
        grid.clear_widgets()
        content = self.host.content
        queues = open_queues(content)
        if self.step == "category":
            self.prompt = _("What do you need? Tap one.")

            def queue_button(q: Queue) -> BigButton:
                label = f"{safe(CATEGORY_NAMES.get(q.category, q.category))}"
                if q.name and q.name != CATEGORY_NAMES.get(q.category):
                    label += f"\n[size={int(theme.font_body)}]{safe(q.name)}[/size]"
                button = BigButton(text=label, markup=True)
                button.queue_code = q.code  # type: ignore[attr-defined]
                button.bind(on_release=lambda _b, code=q.code: self.pick_queue(code))
                return button

            self.add_items(grid, queues, queue_button)
            if not queues:
                self.prompt = _("No queue takes numbers today. Please ask at a window.")
            return True
        queue = next((q for q in queues if q.code == self.queue), None)
        if queue is None:
            self.reset_choice()
            return self.refresh()
        if self.step == "service":
            self.prompt = _("Which service? Tap one.")

            def service_button(s: Service) -> BigButton:
                button = BigButton(text=safe(s.name), markup=True)
                button.bind(on_release=lambda _b, sid=s.id: self.pick_service(sid))
                return button

            self.add_items(grid, self._services(content, queue), service_button)
            other = BigButton(text=_("Something else / not sure"))
            other.bg_color = theme.button_quiet
            other.color = theme.button_quiet_text
            other.bind(on_release=lambda _b: self.pick_service(None))
            grid.add_widget(other)
            return True
        self.prompt = _("Please check and confirm.")
        what = safe(CATEGORY_NAMES.get(queue.category, queue.category))
        service = self._service(content)
        if service is not None:
            what += "  ·  " + safe(service.name)
        self.choice = what
        return True

    @staticmethod
    def _services(content: HallContent | None, queue: Queue) -> list[Service]:
        if content is None:
            return []
        return [
            s
            for s in content.services
            if s.queue == queue.code or (s.queue is None and s.category == queue.category)
        ]

    def _service(self, content: HallContent | None) -> Service | None:
        if content is None or self.service_id is None:
            return None
        return next((s for s in content.services if s.id == self.service_id), None)

    def pick_queue(self, code: str) -> None:
        self.queue = code
        queue = next((q for q in open_queues(self.host.content) if q.code == code), None)
        if queue is not None and self._services(self.host.content, queue):
            self.step = "service"
        else:
            self.service_id = None
            self.step = "confirm"
        self.refresh()

    def pick_service(self, service_id: str | None) -> None:
        self.service_id = service_id
        self.step = "confirm"
        self.refresh()

    def step_back(self) -> bool:
        """One step back inside this screen; False when already at the first step."""
        if self.step == "confirm":
            queue = next((q for q in open_queues(self.host.content) if q.code == self.queue), None)
            has_services = queue is not None and self._services(self.host.content, queue)
            self.step = "service" if has_services else "category"
        elif self.step == "service":
            self.step = "category"
        else:
            return False
        self.message = ""
        self.refresh()
        return True

    def toggle_priority(self) -> None:
        self.priority = not self.priority

    def confirm(self) -> None:
        """Take the ticket (once) and show it."""
        desk: TicketDesk | None = getattr(self.host, "tickets", None)
        if self.busy or desk is None or not self.queue:
            return
        self.busy = True
        try:
            ticket = desk.take(self.queue, self.service_id, self.priority)
        except NoNumberLeft as exc:
            self.busy = False
            self.message = exc.message
            return
        except Exception:  # our disk: never crash the kiosk in front of a resident
            log.exception("taking a ticket failed")
            self.busy = False
            self.message = _("Sorry, no number can be given right now. Please ask at a window.")
            return
        # 返回 on the ticket goes home, never back to the confirm button.
        self.host.home()
        self.host.open("ticket", local_id=ticket.local_id)
        self.host.screen("ticket").issued(ticket)  # type: ignore[attr-defined]


load_kv_beside(__file__)
