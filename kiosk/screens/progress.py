"""办事进度: a resident types the 查询码 from their receipt on the number pad and sees
their request's state, deadline and timeline with the public notes, read aloud.

The look-up runs in the background through ``host.requests`` (:class:`kiosk.desk.RequestDesk`);
the answer comes back on the UI thread. Clear messages for a code that is not six digits,
one that finds nothing, a kiosk that is offline (then what this kiosk itself registered
with that code is shown from its store) and too many tries (the server's rate limit).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.widget import Widget

from kiosk.core.request_numbers import QUERY_CODE_DIGITS, parse_query_code
from kiosk.desk import KioskRequest, Lookup
from kiosk.i18n import _
from kiosk.screens.base import KioskScreen
from kiosk.theme import theme
from kiosk.widgets import buttons, card, text  # noqa: F401  (kv rules)
from kiosk.widgets.card import Card
from kiosk.widgets.kv import load_kv_beside
from kiosk.widgets.numpad import NumberPad
from kiosk.widgets.text import WrapLabel, safe

__all__ = ["ProgressScreen"]

log = logging.getLogger("kiosk.requests")


class ProgressScreen(KioskScreen):
    """查询码 on the pad → the request's timeline."""

    step = StringProperty("code")
    """``code`` (typing) or ``result``, str."""

    code = StringProperty("")
    """The digits typed so far, str."""

    message = StringProperty("")
    """Why nothing is shown (not found, offline, too many tries), str."""

    busy = BooleanProperty(False)
    """True while the look-up is on its way, bool."""

    def __init__(self, **kwargs: Any) -> None:
        self.pad = NumberPad(on_key=self.key, size_hint_y=1)  # before the kv rule reads it
        super().__init__(**kwargs)
        self.ids.pad_box.add_widget(self.pad)
        self.found: tuple[Mapping[str, Any], ...] = ()
        self.local: tuple[KioskRequest, ...] = ()
        self._asked = 0

    def show(self, **params: Any) -> None:
        self._clear()
        self.refresh()

    def reset(self) -> None:
        super().reset()
        self._clear()
        self.refresh()

    def _clear(self) -> None:
        self.step = "code"
        self.code = ""
        self.message = ""
        self.busy = False
        self.found, self.local = (), ()
        self._asked += 1  # an answer still on its way is for the last resident

    def refresh(self) -> bool:
        self.heading = _("Progress")
        self._draw_results()
        return True

    # -- typing ----------------------------------------------------------------------

    def key(self, key: str) -> None:
        if self.busy:
            return
        if key == "back":
            self.code = self.code[:-1]
        elif key.isdigit() and len(self.code) < QUERY_CODE_DIGITS:
            self.code += key
        self.message = ""

    def again(self) -> None:
        """查另一个: back to the pad."""
        self._clear()
        self.refresh()
        self.host.voice.screen_shown(self)

    def look_up(self) -> None:
        """查询: ask the server (in the background)."""
        if self.busy:
            return
        try:
            code = parse_query_code(self.code)
        except ValueError as exc:
            self._problem(str(exc))
            return
        desk = self.host.requests
        if desk is None:
            self._problem(_("The kiosk is starting. Please try again in a moment."))
            return
        self.busy = True
        self.message = _("Looking it up…")
        self._asked += 1
        asked = self._asked

        def done(result: Lookup) -> None:
            Clock.schedule_once(lambda _dt: self._answer(asked, result))

        desk.lookup(code, done)

    def _answer(self, asked: int, result: Lookup) -> None:
        if asked != self._asked:
            return  # the resident has gone (idle reset) or asked again
        self.busy = False
        self.found, self.local = result.found, result.local
        if result.problem == "too_many":
            self._problem(_("Too many tries. Please wait a few minutes or ask at a window."))
            return
        if result.problem == "bad_code":
            self._problem(_("The query code is the 6 digits on your receipt. Please check it."))
            return
        if result.problem in ("not_found", "offline") and not self.local:
            self._problem(
                _("No request has this query code. Please check the digits on your receipt.")
                if result.problem == "not_found"
                else _(
                    "The kiosk cannot reach the server now. Please try later or ask at a window."
                )
            )
            return
        self.message = (
            _("Offline: showing what was registered at this kiosk.")
            if result.problem is not None
            else ""
        )
        self.step = "result"
        self._draw_results()
        self.host.voice.screen_shown(self)

    def _problem(self, message: str) -> None:
        self.message = message
        if theme.elder:
            try:
                self.host.speaker.say(message, kind="prompt")
            except Exception:
                log.exception("speaking failed")

    # -- results ---------------------------------------------------------------------

    def _draw_results(self) -> None:
        box = self.ids.results
        box.clear_widgets()
        scroll = self.ids.scroll
        scroll.scroll_y = 1
        # again once laid out: a scroll view that had no height leaves scroll_y anywhere
        Clock.schedule_once(lambda _dt: setattr(scroll, "scroll_y", 1), 0.05)
        if self.step != "result":
            return
        for view in self.found:
            box.add_widget(self._card(view))
        for request in self.local:
            box.add_widget(self._local_card(request))
        box.add_widget(Widget())  # takes the rest of the view: the cards stay at the top

    def _card(self, view: Mapping[str, Any]) -> Card:
        c = Card()
        title = f"{safe(view.get('category_label', ''))}  ·  {safe(view.get('state_label', ''))}"
        c.add_widget(WrapLabel(text=title, markup=True, font_size=theme.font_title, bold=True))
        number = view.get("number")
        if number:
            c.add_widget(WrapLabel(text=_("Request number: {number}").format(number=number)))
        if not view.get("closed") and view.get("deadline_text"):
            c.add_widget(WrapLabel(text=safe(view["deadline_text"]), color=theme.text_muted))
        for entry in view.get("timeline") or ():
            line = f"[b]{safe(self._when(entry.get('at')))}[/b]  {safe(entry.get('label', ''))}"
            if entry.get("note"):
                line += f"\n{safe(entry['note'])}"
            c.add_widget(WrapLabel(text=line, markup=True))
        return c

    def _local_card(self, request: KioskRequest) -> Card:
        c = Card()
        title = safe(request.category_label) + "  ·  " + _("Registered, waiting to be sent")
        c.add_widget(WrapLabel(text=title, markup=True, font_size=theme.font_title, bold=True))
        c.add_widget(
            WrapLabel(
                text=_("Request number: {number}").format(number=request.number)
                if request.number
                else _("The number is given once the kiosk is online")
            )
        )
        c.add_widget(WrapLabel(text=safe(request.deadline_text), color=theme.text_muted))
        when = self._when(request.created_at.isoformat())
        c.add_widget(WrapLabel(text=f"[b]{safe(when)}[/b]  " + _("Registered"), markup=True))
        return c

    def _when(self, at: object) -> str:
        try:
            moment = dt.datetime.fromisoformat(str(at))
        except ValueError:
            return ""
        if moment.tzinfo is None:
            return moment.strftime("%m-%d %H:%M")
        return moment.astimezone(self.host.now().tzinfo).strftime("%m-%d %H:%M")

    # -- speech ----------------------------------------------------------------------

    def speech(self) -> str:
        if self.step == "code":
            return _(
                "Progress. Type the 6-digit query code from your receipt on the keys, "
                "then press Look up."
            )
        parts: list[str] = []
        for view in self.found:
            parts.append(
                _("Your request, {category}: {state}.").format(
                    category=view.get("category_label", ""), state=view.get("state_label", "")
                )
            )
            for entry in view.get("timeline") or ():
                note = f"：{entry['note']}" if entry.get("note") else ""
                parts.append(f"{self._when(entry.get('at'))} {entry.get('label', '')}{note}。")
        for request in self.local:
            parts.append(
                _("Your request, {category}: {state}.").format(
                    category=request.category_label, state=_("Registered, waiting to be sent")
                )
            )
        return (self.message + " " if self.message else "") + " ".join(parts)


load_kv_beside(__file__)
