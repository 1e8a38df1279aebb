"""The receipt of a request (诉求回执) on screen: 查询码 in very large type, the number
(or "编号联网后生成" until the server gave it), the category, the deadline in words and the
QR code of the request's phone page. Part of the 我要反映 screen (:mod:`kiosk.screens.report`).
"""

from __future__ import annotations

from typing import Any

from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.i18n import _
from kiosk.widgets import buttons, card, qr, text  # noqa: F401  (kv rules)
from kiosk.widgets.kv import load_kv_beside
from kiosk.widgets.text import safe

__all__ = ["ReceiptView"]


class ReceiptView(BoxLayout):
    """One request's receipt; set ``request`` again when the server answered."""

    request = ObjectProperty(None, allownone=True)
    """The :class:`kiosk.desk.KioskRequest` shown, or None."""

    query_code = StringProperty("")
    """The 6-digit 查询码, str."""

    number_line = StringProperty("")
    """The request number, or that it comes once online, str."""

    what = StringProperty("")
    """Category · deadline in words, markup-safe str."""

    url = StringProperty("")
    """The phone page ``<server>/r/<id>`` (the QR code); empty without a server, str."""

    printer_message = StringProperty("")
    """A printer fault to show, str."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bind(request=self._show)
        self._show()

    def _show(self, *_args: Any) -> None:
        r = self.request
        if r is None:
            return
        self.query_code = r.query_code
        self.number_line = (
            _("Request number: {number}").format(number=r.number)
            if r.number
            else _("The number is given once the kiosk is online")
        )
        self.what = safe(r.category_label) + "  ·  " + safe(r.deadline_text)
        self.url = r.url or ""


load_kv_beside(__file__)
