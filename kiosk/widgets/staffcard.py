"""A card of the staff on-duty board (人员在岗公示): photo, name, post, status, duties."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from kivy.properties import ColorProperty, StringProperty

from kiosk.core.content import Staff, StaffStatus
from kiosk.i18n import N_, _
from kiosk.theme import rgba
from kiosk.widgets import card, text  # noqa: F401  (kv rule)
from kiosk.widgets.card import Card
from kiosk.widgets.kv import load_kv_beside
from kiosk.widgets.text import safe

__all__ = ["StaffCard", "status_colors", "status_line"]

_STATUS_LABELS = {
    StaffStatus.ON_DUTY: N_("On duty"),
    StaffStatus.VISITING: N_("Out on a home visit"),
    StaffStatus.MEETING: N_("In a meeting"),
    StaffStatus.LEAVE: N_("On leave"),
}


def status_colors(status: StaffStatus) -> tuple[str, str]:
    """(chip background, chip text) hex colours for a status; all ≥ 7:1."""
    from kiosk.theme import PALETTE

    bg = PALETTE[f"chip_{status.value}"]
    light = bg in (PALETTE["chip_visiting"],)
    return bg, PALETTE["chip_text_light" if light else "chip_text_dark"]


def status_line(staff: Staff, now: dt.datetime) -> str:
    """ "预计 15:00 回来" / "预计 11月28日 回来" when away with a return time, else ""."""
    if staff.status is StaffStatus.ON_DUTY or staff.status_until is None:
        return ""
    back = staff.status_until.astimezone(now.tzinfo)
    if back.date() == now.date():
        return _("Back at {time}").format(time=back.strftime("%H:%M"))
    return _("Back on {month}/{day}").format(month=back.month, day=back.day)


class StaffCard(Card):
    """One staff member; call :meth:`show` with the model and the current time."""

    name = StringProperty("")
    """Name (markup-safe), str."""

    post = StringProperty("")
    """Post (markup-safe), str."""

    status_text = StringProperty("")
    """在岗 / 外出走访 / 会议 / 休假, str."""

    status_bg = ColorProperty((0, 0, 0, 1))
    """Status chip colour, rgba."""

    status_fg = ColorProperty((1, 1, 1, 1))
    """Status chip text colour, rgba."""

    back_text = StringProperty("")
    """Expected return and note, str."""

    duties_text = StringProperty("")
    """Duties as one wrapped paragraph, str."""

    phone = StringProperty("")
    """Phone number, str; empty hides the line."""

    photo = StringProperty("")
    """Path of the photo file, str; empty shows the initial in a circle."""

    initial = StringProperty("")
    """The first character of the name, for the avatar, str."""

    def show(self, staff: Staff, now: dt.datetime, photo: Path | None) -> None:
        self.name = safe(staff.name)
        self.post = safe(staff.post)
        self.initial = safe(staff.name[:1])
        self.status_text = _(_STATUS_LABELS[staff.status])
        bg, fg = status_colors(staff.status)
        self.status_bg, self.status_fg = rgba(bg), rgba(fg)
        parts = [status_line(staff, now), staff.status_note]
        self.back_text = safe("  ".join(p for p in parts if p))
        self.duties_text = safe("；".join(staff.duties))
        self.phone = safe(staff.phone or "")
        self.photo = str(photo) if photo else ""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)


load_kv_beside(__file__)
