"""The home screen: the hall, its brand, today's hours, and the big tiles.

While nobody touches it, an attract loop gently rings one tile after another and shows
a tip about it.
"""

from __future__ import annotations

from typing import Any

from kivy.animation import Animation
from kivy.properties import StringProperty

from kiosk.core.schedule import is_open
from kiosk.i18n import N_, _
from kiosk.screens.base import KioskScreen
from kiosk.theme import TILE_COLORS, rgba
from kiosk.widgets import buttons, text, tile  # noqa: F401  (kv rule)
from kiosk.widgets.kv import load_kv_beside
from kiosk.widgets.text import safe
from kiosk.widgets.tile import BigTile

__all__ = ["TILES", "HomeScreen"]

#: (screen, title msgid, subtitle msgid, icon) of the home tiles, in order.
TILES: tuple[tuple[str, str, str, str], ...] = (
    ("categories", N_("Service guide"), N_("Ten kinds of services: steps and papers"), "guide"),
    ("staff", N_("Staff on duty"), N_("Who is here, who is out"), "people"),
    ("rooms", N_("Activity rooms"), N_("What is on today and this week"), "rooms"),
    ("notices", N_("Notices"), N_("Publicity board and residents' board"), "notices"),
    ("about", N_("About us"), N_("Address, opening hours, contact"), "about"),
    ("take_number", N_("Take a number"), N_("Queue for a window, also offline"), "ticket"),
    ("report", N_("Report a problem"), N_("Repairs, help, advice, complaints"), "phone"),
    ("progress", N_("Progress"), N_("Follow your request with its query code"), "clock"),
)
# 办理公开 is reached from 办事进度 (a large button there): nine tiles did not fit an elder
# portrait panel at tap size; eight make 4 × 2 in landscape and 2 × 4 in portrait.

_TIPS = {
    "categories": N_("Tap Service guide to see how a service works and what to bring."),
    "staff": N_("Tap Staff on duty to see who is in the office right now."),
    "rooms": N_("Tap Activity rooms to see today's classes and activities."),
    "notices": N_("Tap Notices to read the latest notices of the committee."),
    "about": N_("Tap About us for our address, opening hours and WeChat."),
}


class HomeScreen(KioskScreen):
    """Hall name, brand, hours, tiles; :meth:`attract` runs the attract loop."""

    hall_name = StringProperty("")
    """Markup-safe hall name, str."""

    brand = StringProperty("")
    """Markup-safe brand title and text, str."""

    hours = StringProperty("")
    """Today's opening state, str."""

    tip = StringProperty("")
    """The attract loop's current tip, str."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tiles: dict[str, BigTile] = {}
        for i, (target, title, subtitle, icon) in enumerate(TILES):
            t = BigTile(
                title=_(title),
                subtitle=_(subtitle),
                icon=icon,
                bg_color=rgba(TILE_COLORS[i]),
            )
            t.bind(on_release=lambda _w, name=target: self.host.open(name))
            self.tiles[target] = t
            self.ids.grid.add_widget(t)
        self._attract_index = -1
        self.tip = _("Touch a tile to begin.")

    def refresh(self) -> bool:
        content = self.host.content
        if content is None:
            self.hall_name = ""
            self.brand = _("Waiting for the hall's content…")
            self.hours = ""
            return True
        hall = content.hall
        self.hall_name = safe(hall.name)
        self.brand = _("Our feature: {brand}").format(brand=f"[b]{safe(hall.brand.title)}[/b]")
        now = self.host.now()
        today = [h for h in hall.opening_hours if now.isoweekday() in h.weekdays]
        if not today:
            self.hours = _("Closed today")
        else:
            spans = "、".join(f"{h.open}–{h.close}" for h in today)
            key = (
                N_("Open now, today {spans}")
                if is_open(hall.opening_hours, now)
                else N_("Today {spans}")
            )
            self.hours = _(key).format(spans=spans)
        return True

    def attract(self) -> None:
        """One step of the attract loop: ring the next tile and show its tip."""
        names = [n for n in self.tiles if n in _TIPS]
        self._attract_index = (self._attract_index + 1) % len(names)
        name = names[self._attract_index]
        for other, t in self.tiles.items():
            Animation.cancel_all(t, "glow")
            if other != name and t.glow:
                Animation(glow=0.0, duration=0.6).start(t)
        Animation(glow=1.0, duration=0.8).start(self.tiles[name])
        self.tip = _(_TIPS[name])

    def stop_attract(self) -> None:
        for t in self.tiles.values():
            Animation.cancel_all(t, "glow")
            t.glow = 0.0
        self.tip = _("Touch a tile to begin.")

    def toggle_elder(self) -> None:
        """The 长辈模式 switch: elder mode on or off (the app restyles and says so)."""
        from kiosk.theme import theme

        self.host.voice.set_elder(not theme.elder)

    def reset(self) -> None:
        super().reset()
        self.stop_attract()
        self._attract_index = -1


load_kv_beside(__file__)
