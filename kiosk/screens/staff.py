"""The staff on-duty board (人员在岗公示): everyone's photo, post, status and duties.

It redraws whenever new content arrives, so a staff member's status change made at the
desk shows here within the sync delay.
"""

from __future__ import annotations

from kiosk.core.content import Staff
from kiosk.i18n import _
from kiosk.screens.base import KioskScreen
from kiosk.widgets import staffcard, text  # noqa: F401  (kv rules)
from kiosk.widgets.kv import load_kv_beside
from kiosk.widgets.staffcard import StaffCard
from kiosk.widgets.text import WrapLabel

__all__ = ["StaffScreen"]


class StaffScreen(KioskScreen):
    """A grid of :class:`StaffCard`, on-duty people first."""

    def refresh(self) -> bool:
        grid = self.ids.grid
        grid.clear_widgets()
        content = self.host.content
        staff = list(content.staff) if content is not None else []
        now = self.host.now()
        on_duty = sum(1 for s in staff if s.status.value == "on_duty")
        self.heading = _("Staff on duty: {n} of {total} here now").format(
            n=on_duty, total=len(staff)
        )

        def card_for(member: Staff) -> StaffCard:
            card = StaffCard()
            photo = self.host.media_path(member.photo) if member.photo else None
            card.show(member, now, photo)
            return card

        self.add_items(grid, staff, card_for)
        if not staff:
            grid.add_widget(WrapLabel(text=_("No staff listed yet.")))
        return True


load_kv_beside(__file__)
