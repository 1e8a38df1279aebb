"""取号: a queue number in two taps from home — 取号, then the queue's tile.

:class:`TakeNumberScreen` shows the hall's open queues as tiles (category, queue name and
the services each takes) under a 绿色通道 (priority) toggle: a tile takes the ticket, once
(``busy`` from the first tap, and the ticket screen replaces this one in the same frame),
through the host's ticket desk (:mod:`kiosk.desk`). Why no service step and no confirm
step: docs/TICKETS.md.
"""

from __future__ import annotations

import logging
from typing import Any

from kivy.properties import BooleanProperty, StringProperty

from kiosk.core.content import CATEGORY_NAMES, HallContent, Queue, Service
from kiosk.desk import NoNumberLeft, open_queues
from kiosk.i18n import _
from kiosk.screens.base import KioskScreen
from kiosk.theme import theme
from kiosk.widgets import buttons, card, text  # noqa: F401  (kv rules)
from kiosk.widgets.buttons import BigButton
from kiosk.widgets.kv import load_kv_beside
from kiosk.widgets.text import safe

__all__ = ["TakeNumberScreen", "open_queues"]

log = logging.getLogger("kiosk.tickets")


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
            button.speech = (
                name
                if not q.name or q.name == CATEGORY_NAMES.get(q.category)
                else f"{name} {q.name}"
            )
            button.queue_code = q.code
            button.bind(on_release=lambda _b, code=q.code: self.take(code))
            button.bind(texture_size=self._even_rows)
            return button

        self.add_items(grid, queues, queue_button)
        if not queues:
            self.prompt = _("No queue takes numbers today. Please ask at a window.")
        desk = self.host.tickets
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
        desk = self.host.tickets
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
        self.host.ticket_taken(ticket)


load_kv_beside(__file__)
