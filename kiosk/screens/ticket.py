"""The resident's ticket: the number in very large type, the service, people ahead, the
estimated wait, "please listen for your number", and the QR code of its phone page.

Shown from the kiosk's own durable store the moment the ticket is written (the server
need not have answered), with the QR code of its phone page (the kiosk minted the
ticket's public id); while the server has not confirmed it, people ahead and the wait
are the kiosk's estimate and say so. When the courier delivers the ticket the app calls
:meth:`TicketScreen.ticket_update` and the server's figures appear. The ticket comes
from the host's desk (``host.tickets``), the voice from ``host.speaker``.
With a receipt printer the ticket is printed too; a printer fault is shown and spoken,
and the ticket on screen stays valid.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty

from kiosk.core.content import CATEGORY_NAMES
from kiosk.core.markup import unescape_markup
from kiosk.desk import KioskTicket
from kiosk.i18n import _
from kiosk.screens.base import KioskScreen
from kiosk.theme import theme
from kiosk.widgets import buttons, card, qr, text  # noqa: F401  (kv rules)
from kiosk.widgets.kv import load_kv_beside
from kiosk.widgets.text import safe

__all__ = ["TicketScreen"]

log = logging.getLogger("kiosk.tickets")

#: Seconds, and frames, after a ticket appears during which 重新取号 ignores taps: a
#: double tap's second touch on the tile's spot (frames too, for a slow machine where a
#: frame takes longer than a finger).
RETAKE_GUARD = 1.0
RETAKE_GUARD_FRAMES = 6


class TicketScreen(KioskScreen):
    """One ticket, by its ``local_id`` in the kiosk's outbox."""

    number = StringProperty("")
    """The ticket number, str."""

    service = StringProperty("")
    """What it is for (category · service), markup-safe str."""

    ahead = StringProperty("")
    """People ahead, as a sentence, str."""

    wait = StringProperty("")
    """Estimated wait, as a sentence, str."""

    note = StringProperty("")
    """Estimate / offline note, str."""

    url = StringProperty("")
    """The phone page (QR code); known at take time (empty only before the kiosk ever
    learned its server's address), str."""

    printer_message = StringProperty("")
    """A printer fault to show, str."""

    priority = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.local_id = 0
        self.ticket: KioskTicket | None = None
        self._service_plain = ""
        self._issued_at = 0.0
        self._issued_frame = -RETAKE_GUARD_FRAMES

    def show(self, **params: Any) -> None:
        self.local_id = int(params.get("local_id", self.local_id))
        self.printer_message = ""
        self.refresh()

    def issued(self, ticket: KioskTicket) -> None:
        """The ticket on show was just taken: say it and print it (once)."""
        self._issued_at = time.monotonic()
        self._issued_frame = Clock.frames
        self._announce(ticket)
        self._print(ticket)

    def retake(self) -> None:
        """重新取号: back to the tiles, the way back home kept. A tap within
        :data:`RETAKE_GUARD` (and frames) of the ticket appearing is the tile's double tap,
        not a choice."""
        if (
            time.monotonic() - self._issued_at < RETAKE_GUARD
            or Clock.frames - self._issued_frame < RETAKE_GUARD_FRAMES
        ):
            return
        self.host.home()
        self.host.open("take_number")

    def reset(self) -> None:
        super().reset()
        self.local_id = 0
        self.ticket = None
        self.number = ""
        self.url = ""
        self.printer_message = ""

    def refresh(self) -> bool:
        desk = self.host.tickets
        ticket = desk.outbox.ticket(self.local_id) if desk is not None and self.local_id else None
        if ticket is None:
            return False
        self._show_ticket(ticket)
        return True

    def ticket_update(self, tickets: list[KioskTicket]) -> None:
        """The server confirmed some tickets; redraw if ours is among them."""
        for t in tickets:
            if t.local_id == self.local_id:
                self._show_ticket(t)

    def _show_ticket(self, ticket: KioskTicket) -> None:
        self.ticket = ticket
        self.heading = _("Your number")
        self.number = ticket.number
        self.priority = ticket.priority
        content = self.host.content
        what = ""
        if content is not None:
            queue = content.queue(ticket.queue)
            if queue is not None:
                what = safe(CATEGORY_NAMES.get(queue.category, queue.name))
            service = content.service(ticket.service_id) if ticket.service_id else None
            if service is not None:
                what += "  ·  " + safe(service.name)
        if ticket.priority:
            what += "  ·  " + _("Priority lane")
        self.service = what
        self._service_plain = unescape_markup(what)
        if ticket.people_ahead == 0:
            self.ahead = _("Nobody is ahead of you.")
            self.wait = _("You will be called soon.")
        else:
            self.ahead = _("People ahead of you: {n}").format(n=ticket.people_ahead)
            self.wait = _("Estimated wait: about {m} minutes").format(m=ticket.wait_minutes)
        if ticket.estimate:
            self.note = _("(estimate: the kiosk will update it once the server answers)")
        else:
            self.note = ""
        self.url = ticket.url or ""

    # -- voice and printer -----------------------------------------------------------

    def speech(self) -> str:
        """The ticket read out: number and people ahead; twice in elder mode."""
        ticket = self.ticket
        if ticket is None:
            return ""
        if ticket.people_ahead == 0:
            ahead = _("Nobody is ahead of you.")
        else:
            ahead = _("People ahead of you: {n}").format(n=ticket.people_ahead)
        once = _("Your number is {number}. {ahead}. Please listen for your number.").format(
            number=ticket.number, ahead=ahead
        )
        if not theme.elder:
            return once
        return once + " " + _("Once more:") + " " + once

    def _announce(self, ticket: KioskTicket) -> None:
        if theme.elder:
            return  # elder mode: said (twice) as the screen's prompt on arrival
        try:
            self.host.speaker.say(self.speech())
        except Exception:
            log.exception("speaking the ticket failed")

    def _print(self, ticket: KioskTicket) -> None:
        desk = self.host.tickets
        if desk is None or not desk.printer.present:
            return
        printer, outbox = desk.printer, desk.outbox
        from kiosk.printer import PrinterFault, TicketReceipt

        content = self.host.content
        hall_name = content.hall.name if content is not None else ""
        service_name = self._service_plain
        zone = self.host.now().tzinfo

        def run() -> None:
            # The QR code of the phone page is known at once (the kiosk minted the ticket's
            # public id), so the receipt prints straight away, offline too.
            current = outbox.ticket(ticket.local_id) or ticket
            receipt = TicketReceipt(
                number=current.number,
                hall_name=hall_name,
                service_name=service_name,
                issued_at=current.issued_at.astimezone(zone),
                people_ahead=current.people_ahead,
                qr_url=current.url,
            )
            try:
                printer.print_ticket(receipt)
            except PrinterFault as fault:
                message = fault.message
                Clock.schedule_once(lambda _dt: self._printer_fault(ticket.local_id, message))
            except Exception:
                log.exception("printing the ticket failed")

        threading.Thread(target=run, name="ticket-print", daemon=True).start()

    def _printer_fault(self, local_id: int, message: str) -> None:
        if local_id != self.local_id:
            return  # the resident has gone; the next one's ticket is on show
        self.printer_message = message + "  " + _("Your number on the screen is still valid.")
        try:
            self.host.speaker.say(self.printer_message)
        except Exception:
            log.exception("speaking the printer fault failed")


load_kv_beside(__file__)
