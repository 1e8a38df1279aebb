"""Activity rooms (活动室): every room's now and next at a glance; one room's day and week."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kivy.properties import StringProperty

from kiosk.core.content import Room
from kiosk.core.schedule import (
    WEEKDAY_NAMES,
    Occurrence,
    now_and_next,
    occurrences_on,
    opening_text,
    week,
)
from kiosk.i18n import _
from kiosk.screens.base import KioskScreen
from kiosk.theme import theme
from kiosk.widgets import card, text, timeline  # noqa: F401  (kv rules)
from kiosk.widgets.card import Card, TapCard
from kiosk.widgets.kv import load_kv_beside
from kiosk.widgets.text import Caption, WrapLabel, safe

__all__ = ["RoomScreen", "RoomsScreen", "now_next_text"]


def now_next_text(room: Room, now: dt.datetime) -> str:
    """ "正在进行：书法班（至 11:00）" / "下一场：14:00 舞蹈队" / "今天未开放", markup-safe."""
    nn = now_and_next(room, now)
    parts = []
    if nn.current is not None:
        parts.append(
            _("On now: {title} (until {end})").format(
                title=safe(nn.current.title), end=f"{nn.current.end:%H:%M}"
            )
        )
    elif nn.open_now:
        parts.append(_("Open, free to use"))
    else:
        parts.append(_("Closed now"))
    if nn.next is not None:
        when = nn.next.start.astimezone(now.tzinfo)
        day = "" if when.date() == now.date() else WEEKDAY_NAMES[when.isoweekday()] + " "
        parts.append(
            _("Next: {when} {title}").format(when=f"{day}{when:%H:%M}", title=safe(nn.next.title))
        )
    return "\n".join(parts)


class RoomsScreen(KioskScreen):
    """One card per room: name, where, now and next."""

    def refresh(self) -> bool:
        grid = self.ids.grid
        grid.clear_widgets()
        content = self.host.content
        rooms = list(content.rooms) if content is not None else []
        now = self.host.now()

        def tile_for(room: Room) -> TapCard:
            when = now_next_text(room, now)
            tile = TapCard()
            tile.add_widget(
                WrapLabel(text=safe(room.name), markup=True, bold=True, font_size=theme.font_title)
            )
            tile.add_widget(Caption(text=safe(room.location), markup=True))
            tile.add_widget(WrapLabel(text=when, markup=True))
            tile.bind(on_release=lambda _t, rid=room.id: self.host.open("room", room_id=rid))
            return tile

        self.add_items(grid, rooms, tile_for)
        if not rooms:
            grid.add_widget(WrapLabel(text=_("No rooms listed yet.")))
        return True


class RoomScreen(KioskScreen):
    """One room: opening hours, today's timeline, and the coming week."""

    room_id = StringProperty("")
    """Id of the room shown, str."""

    info = StringProperty("")
    """Location, hours and description, markup-safe, str."""

    def show(self, **params: Any) -> None:
        self.room_id = params.get("room_id", self.room_id)
        self.refresh()

    def refresh(self) -> bool:
        content = self.host.content
        room = content.room(self.room_id) if content else None
        week_box = self.ids.week
        week_box.clear_widgets()
        if room is None or content is None:
            self.heading = ""
            self.ids.today.show([], self.host.now())
            return False
        now = self.host.now()
        zone = content.hall.zone
        self.heading = safe(room.name)
        lines = [safe(room.location), _("Open: {hours}").format(hours=opening_text(room.hours))]
        if room.description:
            lines.append(safe(room.description))
        self.info = "\n".join(lines)
        self.ids.today.show(occurrences_on(room, now.date(), zone), now)

        def card_for(day_items: tuple[dt.date, list[Occurrence]]) -> Card:
            day, items = day_items
            name = WEEKDAY_NAMES[day.isoweekday()]
            title = (
                _("Today") + f" {name}" if day == now.date() else f"{name}  {day.month}/{day.day}"
            )
            text_lines = [f"{o.start:%H:%M}–{o.end:%H:%M}  {safe(o.title)}" for o in items]
            day_card = Card()
            day_card.add_widget(WrapLabel(text=title, bold=True, font_size=theme.font_title))
            day_card.add_widget(
                WrapLabel(text="\n".join(text_lines) or _("Nothing planned"), markup=True)
            )
            return day_card

        self.add_items(week_box, week(room, now.date(), zone), card_for)
        return True


load_kv_beside(__file__)
