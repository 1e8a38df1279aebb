"""办理公开 (集中监督): what the committee handled this month, in public.

This month's requests received, closed, closed on time and satisfaction, by category,
and the latest closed requests as the one-line summaries staff marked publishable —
never a name, phone or room number (the server sends none). From the server's
``GET /api/v1/requests/public-board``, cached by ``host.requests`` for offline use, with
the time it was fetched (更新于 HH:MM).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from kivy.properties import StringProperty

from kiosk.i18n import _
from kiosk.screens.base import KioskScreen
from kiosk.theme import theme
from kiosk.widgets import buttons, card, text  # noqa: F401  (kv rules)
from kiosk.widgets.card import Card
from kiosk.widgets.kv import load_kv_beside
from kiosk.widgets.text import WrapLabel, safe

__all__ = ["OpennessScreen", "percent"]


def percent(part: object, whole: object) -> str:
    """``part`` of ``whole`` as a whole percentage ("—" when there is nothing to count)."""
    try:
        p, w = int(str(part)), int(str(whole))
    except ValueError:
        return "—"
    return f"{round(100 * p / w)}%" if w > 0 else "—"


class OpennessScreen(KioskScreen):
    """The month's figures and the latest closed requests."""

    summary = StringProperty("")
    """The month's totals as a sentence, str."""

    updated = StringProperty("")
    """When the figures were fetched (更新于 …), or that there are none yet, str."""

    def show(self, **params: Any) -> None:
        self.refresh()

    def refresh(self) -> bool:
        self.heading = _("Openness")
        desk = self.host.requests
        board = desk.board() if desk is not None else None
        box = self.ids.rows
        box.clear_widgets()
        if board is None:
            self.summary = _("No figures yet: they appear once the kiosk reaches the server.")
            self.updated = _("Not fetched yet")
            return True
        f = board.figures
        fetched = board.fetched_at.astimezone(self.host.now().tzinfo)
        self.updated = _("Updated {time}").format(time=self._stamp(fetched))
        sat = f.get("satisfaction_pct")
        self.summary = _(
            "{month}: {received} received, {closed} closed, {on_time} of them on time "
            "({on_time_pct}); satisfaction {sat}."
        ).format(
            month=self._month(str(f.get("month", ""))),
            received=f.get("received", 0),
            closed=f.get("closed", 0),
            on_time=f.get("closed_on_time", 0),
            on_time_pct=percent(f.get("closed_on_time", 0), f.get("closed", 0)),
            sat=f"{round(float(sat))}%" if isinstance(sat, int | float) else "—",
        )
        rated = f.get("ratings")
        if isinstance(rated, Mapping):  # 好差评 of the month (issue 14)
            good = rated.get("good_pct")
            self.summary += "\n" + _(
                "Ratings: {good} good; {followed} of {bad} poor ratings followed up on time."
            ).format(
                good=f"{round(float(good))}%" if isinstance(good, int | float) else "—",
                followed=rated.get("bad_followed_on_time", 0),
                bad=rated.get("bad_total", 0),
            )
        rows = [r for r in f.get("by_category") or () if isinstance(r, Mapping)]
        if rows:
            table = Card()
            table.add_widget(WrapLabel(text=_("By kind"), font_size=theme.font_title, bold=True))
            for r in rows:
                table.add_widget(
                    WrapLabel(
                        text=_(
                            "{kind}: {received} received, {closed} closed, {on_time} on time"
                        ).format(
                            kind=safe(r.get("category_label", "")),
                            received=r.get("received", 0),
                            closed=r.get("closed", 0),
                            on_time=r.get("closed_on_time", 0),
                        ),
                        markup=True,
                    )
                )
            box.add_widget(table)
        latest = [r for r in f.get("latest") or () if isinstance(r, Mapping)]
        if latest:
            done = Card()
            done.add_widget(
                WrapLabel(text=_("Recently closed"), font_size=theme.font_title, bold=True)
            )
            for r in latest:
                head = f"{safe(r.get('closed_on', ''))}  {safe(r.get('category_label', ''))}"
                line = f"[b]{head}[/b]  {safe(r.get('summary', ''))}"
                done.add_widget(WrapLabel(text=line, markup=True))
            box.add_widget(done)
        return True

    def _stamp(self, at: dt.datetime) -> str:
        today = self.host.now().date()
        return at.strftime("%H:%M") if at.date() == today else at.strftime("%m-%d %H:%M")

    @staticmethod
    def _month(month: str) -> str:
        try:
            year, mon = month.split("-")
            return _("{month} of {year}").format(year=int(year), month=int(mon))
        except ValueError:
            return month


load_kv_beside(__file__)
