"""A room's day as a timeline: each activity with its time, on a line with a dot.

What is on now is highlighted; what is over is greyed by words (已结束), not by colour
alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.core.schedule import Occurrence
from kiosk.i18n import _
from kiosk.widgets import text  # noqa: F401  (kv rule)
from kiosk.widgets.kv import load_kv_beside
from kiosk.widgets.text import safe

__all__ = ["RoomTimeline", "TimelineRow", "occurrence_state"]


def occurrence_state(occ: Occurrence, now: dt.datetime) -> str:
    """进行中 / 已结束 / 未开始 for ``occ`` at ``now``."""
    if occ.is_on(now):
        return _("On now")
    if occ.end <= now:
        return _("Finished")
    return _("Later")


class TimelineRow(BoxLayout):
    """One occurrence: time span, title, leader or note, and its state."""

    span = StringProperty("")
    """"09:00–11:00", str."""

    title = StringProperty("")
    """Markup-safe title, str."""

    note = StringProperty("")
    """Markup-safe leader / note line, str."""

    state = StringProperty("")
    """进行中 / 已结束 / 未开始, str."""

    current = BooleanProperty(False)
    """True for what is on now, bool."""

    last = BooleanProperty(False)
    """True for the last row (the line stops at its dot), bool."""


class RoomTimeline(BoxLayout):
    """The day's occurrences of a room, top to bottom; an empty day says so."""

    def show(self, occurrences: Sequence[Occurrence], now: dt.datetime) -> None:
        self.clear_widgets()
        if not occurrences:
            from kiosk.widgets.text import WrapLabel

            self.add_widget(WrapLabel(text=_("Nothing planned today.")))
            return
        for i, occ in enumerate(occurrences):
            note = "  ".join(p for p in (occ.leader, occ.note) if p)
            self.add_widget(
                TimelineRow(
                    span=f"{occ.start:%H:%M}–{occ.end:%H:%M}",
                    title=safe(occ.title),
                    note=safe(note),
                    state=occurrence_state(occ, now),
                    current=occ.is_on(now),
                    last=i == len(occurrences) - 1,
                )
            )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)


load_kv_beside(__file__)
