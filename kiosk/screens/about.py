"""About the hall (关于本居): address, phone, opening hours, brand, and contact QR codes."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.core.content import Contact
from kiosk.core.schedule import opening_text
from kiosk.i18n import _
from kiosk.screens.base import KioskScreen
from kiosk.widgets import card, qr, text  # noqa: F401  (kv rules)
from kiosk.widgets.card import Card
from kiosk.widgets.kv import load_kv_beside
from kiosk.widgets.qr import QRImage
from kiosk.widgets.text import WrapLabel, safe

__all__ = ["AboutScreen"]


class AboutScreen(KioskScreen):
    """Facts about the hall and a QR card per contact (WeChat, QQ mailbox, web)."""

    facts = StringProperty("")
    """Address, phone and hours, markup-safe, str."""

    intro = StringProperty("")
    """Introduction and brand text, markup-safe, str."""

    def refresh(self) -> bool:
        grid = self.ids.contacts
        grid.clear_widgets()
        content = self.host.content
        if content is None:
            self.heading = self.facts = self.intro = ""
            return True
        hall = content.hall
        self.heading = safe(hall.name)
        self.facts = "\n".join(
            [
                _("Address: {address}").format(address=safe(hall.address)),
                _("Phone: {phone}").format(phone=safe(hall.phone)),
                _("Opening hours: {hours}").format(hours=opening_text(hall.opening_hours)),
            ]
        )
        intro = [f"[b]{safe(hall.brand.title)}[/b]"]
        if hall.brand.text:
            intro.append(safe(hall.brand.text))
        if hall.intro:
            intro.append(safe(hall.intro))
        self.intro = "\n".join(intro)
        from kiosk.theme import theme

        def card_for(contact: Contact) -> Card:
            box = Card()
            code = QRImage(data=contact.url, size_hint_y=None, height=theme.target * 2.4)
            box.add_widget(code)
            box.add_widget(WrapLabel(text=safe(contact.label), markup=True, halign="center"))
            return box

        self.add_items(grid, hall.contacts, card_for)
        return True


load_kv_beside(__file__)
