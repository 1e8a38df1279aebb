"""The service guide (服务指南): ten categories → their services → one service in full.

The detail shows the flowchart of steps, the materials to bring, who is eligible, where
to go (and which queue), and a QR code when the service can also be done online.
"""

from __future__ import annotations

from typing import Any

from kivy.properties import StringProperty

from kiosk.core.content import CATEGORIES, CATEGORY_NAMES, Service
from kiosk.i18n import _
from kiosk.screens.base import KioskScreen
from kiosk.theme import theme
from kiosk.widgets import buttons, card, flowchart, qr, text  # noqa: F401  (kv rules)
from kiosk.widgets.buttons import BigButton
from kiosk.widgets.card import TapCard
from kiosk.widgets.kv import load_kv_beside
from kiosk.widgets.text import Caption, WrapLabel, safe

__all__ = ["CategoriesScreen", "ServiceListScreen", "ServiceScreen"]


class CategoriesScreen(KioskScreen):
    """The ten service categories as big buttons, each with its number of services."""

    def refresh(self) -> bool:
        grid = self.ids.grid
        grid.clear_widgets()
        content = self.host.content
        services = content.services if content is not None else []
        for cat_id, name in CATEGORIES:
            count = sum(1 for s in services if s.category == cat_id)
            label = f"{name}\n[size={int(theme.font_body)}]"
            label += _("{count} services").format(count=count) if count else _("None yet")
            label += "[/size]"
            button = BigButton(text=label, markup=True, disabled=count == 0)
            button.bind(on_release=lambda _b, c=cat_id: self.host.open("services", category=c))
            grid.add_widget(button)
        return True


class ServiceListScreen(KioskScreen):
    """The services of one category, one row each."""

    category = StringProperty("")
    """Category id being shown, str."""

    def show(self, **params: Any) -> None:
        self.category = params.get("category", self.category)
        self.refresh()

    def refresh(self) -> bool:
        self.heading = CATEGORY_NAMES.get(self.category, "")
        box = self.ids.rows
        box.clear_widgets()
        content = self.host.content
        services = [s for s in (content.services if content else []) if s.category == self.category]

        def row_for(service: Service) -> TapCard:
            row = TapCard()
            row.add_widget(
                WrapLabel(
                    text=safe(service.name), markup=True, bold=True, font_size=theme.font_title
                )
            )
            if service.summary:
                row.add_widget(Caption(text=safe(service.summary), markup=True))
            row.bind(
                on_release=lambda _r, sid=service.id: self.host.open("service", service_id=sid)
            )
            return row

        if not self.add_items(box, services, row_for):
            box.add_widget(WrapLabel(text=_("There are no services in this category yet.")))
        return bool(services)


class ServiceScreen(KioskScreen):
    """One service: flowchart, materials, eligibility, where to go, QR for online."""

    service_id = StringProperty("")
    """Id of the service shown, str."""

    summary = StringProperty("")
    materials = StringProperty("")
    eligibility = StringProperty("")
    where = StringProperty("")
    online_url = StringProperty("")

    def show(self, **params: Any) -> None:
        self.service_id = params.get("service_id", self.service_id)
        self.refresh()

    def _service(self) -> Service | None:
        content = self.host.content
        if content is None:
            return None
        return content.service(self.service_id)

    def refresh(self) -> bool:
        service = self._service()
        if service is None:
            self.heading = ""
            self.ids.chart.steps = []
            return False
        self.heading = safe(service.name)
        self.summary = safe(service.summary)
        self.ids.chart.steps = list(service.steps)
        lines = []
        for m in service.materials:
            line = "●  " + safe(m.name)
            if m.copies:
                line += "  " + _("({copies} copies)").format(copies=m.copies)
            if m.note:
                line += f"\n    [size={int(theme.font_small)}]{safe(m.note)}[/size]"
            lines.append(line)
        self.materials = "\n".join(lines) or _("Nothing to bring.")
        self.eligibility = "\n".join("●  " + safe(e) for e in service.eligibility) or _(
            "All residents."
        )
        where = safe(service.where)
        content = self.host.content
        queue = content.queue(service.queue) if content and service.queue else None
        if queue is not None:
            where += "\n" + _("Queue: {code} ({name})").format(
                code=queue.code, name=safe(queue.name)
            )
        self.where = where
        self.online_url = service.online_url or ""
        return True


load_kv_beside(__file__)
