"""我要反映: a resident reports something to the committee without typing Chinese.

Steps, all on this one screen (``step``): big category tiles → the common phrases of that
category as chips to pick (several may be picked; or a voice note, where the kiosk has a
microphone) → the location on a large number pad (楼号-单元-室, skippable) → a phone number
on the pad (optional, shown masked) → a summary → 提交 → the receipt: the 查询码 in very
large type, the request number once the server gave it ("编号联网后生成" until then), the
deadline in words and the QR code of its phone page ``/r/<id>``; printed too.

提交 writes the request to the kiosk's durable store through ``host.requests``
(:class:`kiosk.desk.RequestDesk`) and shows the receipt from it at once: no network on
the UI thread. Every step is said in elder mode (:meth:`ReportScreen.speech`).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any

from kivy.clock import Clock
from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from pydantic import TypeAdapter, ValidationError

from kiosk.core.privacy import mask_phone
from kiosk.core.wire import Location, Phone
from kiosk.desk import CategoryChoice, KioskRequest
from kiosk.i18n import _
from kiosk.screens.base import KioskScreen
from kiosk.theme import theme
from kiosk.voice.recorder import MAX_SECONDS, VoiceNote
from kiosk.widgets import buttons, card, qr  # noqa: F401  (kv rules)
from kiosk.widgets import text as _text_rules  # noqa: F401  (kv rules)
from kiosk.widgets.buttons import BigButton
from kiosk.widgets.kv import load_kv_beside
from kiosk.widgets.numpad import NumberPad
from kiosk.widgets.text import WrapLabel, safe

__all__ = ["ReportScreen", "spaced_digits", "valid_location", "valid_phone"]

log = logging.getLogger("kiosk.requests")

STEPS = ("category", "phrases", "location", "phone", "summary", "receipt")
# The server's own rules for these fields (kiosk.core.wire), so the kiosk never stores
# a request its server would refuse.
_LOCATION: TypeAdapter[str] = TypeAdapter(Location)
_PHONE: TypeAdapter[str] = TypeAdapter(Phone)


def valid_location(text: str) -> bool:
    """楼号-单元-室 in digits (``3-2-501``), as the server takes it."""
    try:
        _LOCATION.validate_python(text)
    except ValidationError:
        return False
    return True


def valid_phone(text: str) -> bool:
    """A mainland mobile number: 11 digits starting with 1."""
    try:
        _PHONE.validate_python(text)
    except ValidationError:
        return False
    return True


def spaced_digits(text: str) -> str:
    """``048213`` → ``0 4 8 2 1 3``: said digit by digit, not as a large number."""
    return " ".join(text)


def shown_phone(typed: str) -> str:
    """The phone as the resident types it, the middle digits hidden (``138****1234``)."""
    if len(typed) == 11:
        return mask_phone(typed)
    return typed[:3] + "*" * len(typed[3:7]) + typed[7:]


class ReportScreen(KioskScreen):
    """我要反映, one step at a time; ``host.requests`` stores and delivers."""

    step = StringProperty("category")
    """The step on show, one of :data:`STEPS`, str."""

    prompt = StringProperty("")
    """What the resident is asked at this step, str."""

    message = StringProperty("")
    """A problem to show (nothing picked, a bad phone number), str."""

    typed = StringProperty("")
    """What the number pad shows (the phone masked), str."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.category: CategoryChoice | None = None
        self.picked: list[str] = []
        self.location = ""
        self.phone = ""
        self.voice: VoiceNote | None = None
        self.request: KioskRequest | None = None
        self.printer_message = ""
        self._recording: Any = None
        self._record_started = 0.0
        self._busy = False

    # -- arrival and reset -----------------------------------------------------------

    def show(self, **params: Any) -> None:
        self._clear()
        self.go("category")

    def reset(self) -> None:
        super().reset()
        self._clear()
        self.go("category", speak=False)

    def refresh(self) -> bool:
        self.go(self.step, speak=False)
        return True

    def _clear(self) -> None:
        self._stop_recording(keep=False)
        self.category = None
        self.picked = []
        self.location = ""
        self.phone = ""
        self.voice = None
        self.request = None
        self.printer_message = ""
        self.message = ""
        self._busy = False

    # -- steps -----------------------------------------------------------------------

    def go(self, step: str, *, speak: bool = True) -> None:
        """Show ``step``; in elder mode it is said (:meth:`speech`)."""
        if step not in STEPS:
            raise ValueError(step)
        if step != "phrases":
            self._stop_recording(keep=True)
        self.step = step
        self.heading = _("Report a problem")
        body, scroll = self.ids.body, self.ids.scroll_body
        body.clear_widgets()
        scroll.clear_widgets()
        scroll.scroll_y = 1
        scroll.size_hint_y, scroll.opacity = 1, 1
        body.size_hint_y = None
        build = getattr(self, f"_build_{step}")
        build(body)
        if body.size_hint_y is None:  # only a row of buttons under the scrolled part
            heights = [c.height for c in body.children]
            body.height = sum(heights) + body.spacing * max(0, len(heights) - 1)
        if speak:
            self.host.voice.screen_shown(self)

    def _row(self, *buttons_: BigButton) -> BoxLayout:
        row = BoxLayout(orientation="horizontal", spacing=theme.gap, size_hint_y=None)
        row.height = theme.target
        for b in buttons_:
            row.add_widget(b)
        return row

    def _button(self, label: str, action: Any, *, quiet: bool = False) -> BigButton:
        b = BigButton(text=label)
        if quiet:
            b.bg_color = theme.button_quiet
            b.color = theme.button_quiet_text
        b.bind(on_release=lambda _b: action())
        return b

    def _grid(self, cols_landscape: int, cols_portrait: int) -> GridLayout:
        cols = cols_portrait if theme.orientation == "portrait" else cols_landscape
        grid = GridLayout(cols=cols, spacing=theme.gap, size_hint_y=None, padding=2)
        grid.bind(minimum_height=grid.setter("height"))
        return grid

    # step 1: category tiles
    def _build_category(self, body: Any) -> None:
        self.prompt = _("Step 1 of 5: what is it about?")
        grid = self._grid(5 if theme.elder else 4, 3)
        categories = self._categories()

        def tile(c: CategoryChoice) -> BigButton:
            label = safe(c.label)
            if not theme.elder:
                label += f"\n[size={int(theme.font_body)}]{safe(c.deadline_text)}[/size]"
            b = BigButton(text=label, markup=True)
            b.height = theme.target * (1.0 if theme.elder else 1.4)
            b.speech = c.label
            b.category_id = c.id
            b.bind(on_release=lambda _b, cat=c: self.choose(cat))
            return b

        self.add_items(grid, categories, tile)
        self._scrolled(body, grid)

    def _categories(self) -> list[CategoryChoice]:
        desk = self.host.requests
        if desk is None:
            from kiosk.desk import default_request_categories

            return default_request_categories()  # before the app has started
        return desk.categories()

    def choose(self, category: CategoryChoice) -> None:
        self.category = category
        self.picked = []
        self.voice = None
        self.message = ""
        self.go("phrases")

    # step 2: phrases (or a voice note)
    def _build_phrases(self, body: Any) -> None:
        assert self.category is not None
        self.prompt = _("Step 2 of 5: tap what fits (several are fine)")
        grid = self._grid(3, 2)
        for phrase in self.category.phrases:
            b = BigButton(markup=True)
            b.phrase = phrase
            b.speech = phrase
            self._paint_chip(b)
            b.bind(on_release=lambda btn: self.toggle_phrase(btn))
            grid.add_widget(b)
        self._scrolled(body, grid)
        row = [self._button(_("Previous step"), lambda: self.go("category"), quiet=True)]
        desk = self.host.requests
        if desk is not None and desk.recorder.present:
            if self._recording is not None:
                label = _("Stop recording")
            elif self.voice is not None:
                label = _("Voice note: {s} s · record again").format(s=round(self.voice.seconds))
            else:
                label = _("Leave a voice note (up to 60 s)")
            rec = self._button(label, self.toggle_recording, quiet=self._recording is None)
            rec.voice_button = True
            row.append(rec)
        row.append(self._button(_("Next step"), self.phrases_done))
        body.add_widget(self._row(*row))

    def _paint_chip(self, b: BigButton) -> None:
        on = b.phrase in self.picked
        b.text = ("√ " if on else "□ ") + safe(b.phrase)
        b.bg_color = theme.primary if on else theme.button_quiet
        b.color = theme.primary_text if on else theme.button_quiet_text

    def toggle_phrase(self, b: BigButton) -> None:
        if b.phrase in self.picked:
            self.picked.remove(b.phrase)
        else:
            self.picked.append(b.phrase)
        self.message = ""
        self._paint_chip(b)

    def phrases_done(self) -> None:
        self._stop_recording(keep=True)
        if not self.picked and self.voice is None:
            self.message = _("Please tap at least one line (or leave a voice note).")
            self._say_message()
            return
        self.message = ""
        self.go("location")

    def toggle_recording(self) -> None:
        desk = self.host.requests
        if desk is None:
            return
        if self._recording is not None:
            self._stop_recording(keep=True)
            self.go("phrases", speak=False)
            return
        try:
            self.host.speaker.stop()  # the prompt must not be recorded
            path = desk.voice_dir / f"{uuid.uuid4().hex}.wav"
            desk.recorder.start(path)
        except Exception:
            log.exception("starting the recorder failed")
            self.message = _("The microphone is not working. Please tap the lines instead.")
            return
        self._record_started = time.monotonic()
        self._recording = Clock.schedule_once(lambda _dt: self._recording_over(), MAX_SECONDS)
        self.go("phrases", speak=False)

    def _recording_over(self) -> None:
        self._stop_recording(keep=True)
        if self.step == "phrases":
            self.go("phrases", speak=False)

    def _stop_recording(self, *, keep: bool) -> None:
        event, self._recording = self._recording, None
        if event is None:
            return
        event.cancel()
        desk = self.host.requests
        if desk is None:
            return
        try:
            if keep:
                note = desk.recorder.stop()
                if note is not None:
                    self.voice = note
            else:
                desk.recorder.cancel()
        except Exception:
            log.exception("stopping the recorder failed")

    # step 3: location on the pad
    def _build_location(self, body: Any) -> None:
        self.prompt = _("Step 3 of 5: where is it? Building-unit-room, or skip")
        self.typed = self.location
        self._pad_step(
            body,
            hint=_("Building - unit - room, e.g. 3-2-501; press Next part between them"),
            pad=NumberPad(on_key=self.location_key, extra="-", extra_label=_("Next part")),
            skip=lambda: self.location_done(skip=True),
            done=self.location_done,
            back="phrases",
        )

    def location_key(self, key: str) -> None:
        text = self.location
        if key == "back":
            text = text[:-1]
        elif key == "-":
            if text and not text.endswith("-") and text.count("-") < 2:
                text += "-"
        elif len(text) < 14:
            text += key
        self.location = text
        self.typed = text
        self.message = ""

    def location_done(self, skip: bool = False) -> None:
        if skip:
            self.location = ""
        text = self.location.rstrip("-")
        if text and not valid_location(text):
            self.message = _("Please type building, unit and room as digits, e.g. 3-2-501.")
            self._say_message()
            return
        self.location = text
        self.message = ""
        self.go("phone")

    # step 4: phone on the pad
    def _build_phone(self, body: Any) -> None:
        self.prompt = _("Step 4 of 5: a phone number for a call back (optional)")
        self.typed = shown_phone(self.phone)
        self._pad_step(
            body,
            hint=_("Shown masked. Without a number the request is anonymous."),
            pad=NumberPad(on_key=self.phone_key),
            skip=lambda: self.phone_done(skip=True),
            done=self.phone_done,
            back="location",
        )

    def phone_key(self, key: str) -> None:
        if key == "back":
            self.phone = self.phone[:-1]
        elif key.isdigit() and len(self.phone) < 11:
            self.phone += key
        self.typed = shown_phone(self.phone)
        self.message = ""

    def phone_done(self, skip: bool = False) -> None:
        if skip:
            self.phone = ""
        if self.phone and not valid_phone(self.phone):
            self.message = _("A mobile number has 11 digits and starts with 1.")
            self._say_message()
            return
        self.message = ""
        self.go("summary")

    def _pad_step(
        self, body: Any, *, hint: str, pad: NumberPad, skip: Any, done: Any, back: str
    ) -> None:
        """The typed value, its hint, the pad and 上一步 / 跳过 / 下一步, all on the page:
        never scrolled (a resident must reach every key at once, and a ScrollView would
        hold each tap back). Landscape: the value and the step buttons beside the pad;
        portrait: the value above the pad, the step buttons under it."""
        portrait = theme.orientation == "portrait"
        self._body_only(body)
        shown = WrapLabel(bold=True, halign="center")
        shown.font_size = theme.font_huge * (1.2 if portrait or not theme.elder else 1.0)
        shown.color = theme.primary
        self.bind(typed=lambda _s, v: setattr(shown, "text", v or "—"))
        shown.text = self.typed or "—"
        hint_label = WrapLabel(text=hint, halign="center")
        hint_label.color = theme.text_muted
        # elder mode: the hint is said as well, so it may be smaller than the value
        hint_label.font_size = theme.font_body if theme.elder else theme.font_title
        row = self._row(
            self._button(_("Previous step"), lambda: self.go(back), quiet=True),
            self._button(_("Skip"), skip, quiet=True),
            self._button(_("Next step"), done),
        )
        pad.size_hint_y = 1  # the keys take what the page has left
        if portrait:
            box = BoxLayout(orientation="vertical", spacing=theme.gap)
            box.add_widget(shown)
            box.add_widget(hint_label)
            box.add_widget(pad)
            box.add_widget(row)
        else:
            box = BoxLayout(orientation="horizontal", spacing=theme.gap * 1.5)
            left = BoxLayout(orientation="vertical", spacing=theme.gap)
            left.add_widget(shown)
            if not theme.elder:  # elder mode in landscape: the height is for the keys
                left.add_widget(hint_label)
            left.add_widget(BoxLayout())  # the rest of the column: the buttons at the bottom
            left.add_widget(row)
            box.add_widget(left)
            pad.size_hint_x = 1.2 if theme.elder else 1.0
            box.add_widget(pad)
        body.add_widget(box)
        self.pad = pad

    # step 5: summary
    def _build_summary(self, body: Any) -> None:
        assert self.category is not None
        self.prompt = _("Step 5 of 5: please check, then tap Submit")
        lines = self.summary_lines()
        from kiosk.widgets.card import Card

        # elder mode in landscape: the page is short, so the lines go in two columns and
        # 上一步 / 提交 stand beside the card (which then shows whole, never one line at a
        # time in a scrolled strip)
        beside = theme.elder and theme.orientation == "landscape"
        c = Card()
        holder: Any = c
        if beside:
            holder = GridLayout(cols=2, spacing=theme.pad * 0.4, size_hint_y=None)
            holder.bind(minimum_height=holder.setter("height"))
            c.add_widget(holder)
        for label, value in lines:
            line = WrapLabel(text=f"[b]{safe(label)}[/b]  {safe(value)}", markup=True)
            line.font_size = theme.font_body if beside else theme.font_title
            holder.add_widget(line)
        submit = self._button(_("Submit"), self.submit)
        submit.bg_color = theme.accent
        submit.color = theme.accent_text
        submit.submit_button = True
        back = self._button(_("Previous step"), lambda: self.go("phone"), quiet=True)
        if not beside:
            self._scrolled(body, c)
            body.add_widget(self._row(back, submit))
            return
        self._body_only(body)
        page = BoxLayout(orientation="horizontal", spacing=theme.gap * 1.5)
        card_box = BoxLayout(orientation="vertical", size_hint_x=0.7)
        card_box.add_widget(c)
        card_box.add_widget(BoxLayout())  # the card at the top
        page.add_widget(card_box)
        column = BoxLayout(orientation="vertical", spacing=theme.gap, size_hint_x=0.3)
        column.add_widget(BoxLayout())  # the buttons at the bottom, under a thumb
        column.add_widget(back)
        column.add_widget(submit)
        page.add_widget(column)
        body.add_widget(page)

    def summary_lines(self) -> list[tuple[str, str]]:
        assert self.category is not None
        what = "、".join(self.picked)
        if self.voice is not None:
            note = _("voice note, {s} s").format(s=round(self.voice.seconds))
            what = f"{what}；{note}" if what else note
        return [
            (_("Kind:"), self.category.label),
            (_("What:"), what),
            (_("Where:"), self.location or _("not given")),
            (
                _("Phone:"),
                mask_phone(self.phone) if self.phone else _("none (anonymous)"),
            ),
            (_("Answer:"), self.category.deadline_text),
        ]

    def submit(self) -> None:
        """提交: stored durably (no network), then the receipt from the store."""
        desk = self.host.requests
        if self._busy or desk is None or self.category is None:
            return
        self._busy = True
        try:
            request = desk.submit(
                self.category,
                list(self.picked),
                location=self.location or None,
                phone=self.phone or None,
                voice=self.voice,
            )
        except Exception:  # our disk: never crash in front of a resident
            log.exception("storing a request failed")
            self._busy = False
            self.message = _("Sorry, the request could not be saved. Please ask at a window.")
            self._say_message()
            return
        self.request = request
        self.phone = ""  # not kept on the screen either
        self.go("receipt")
        self._print(request)

    # step 6: the receipt
    def _build_receipt(self, body: Any) -> None:
        request = self.request
        assert request is not None
        self.prompt = _("Registered. Please keep your query code.")
        self._body_only(body)
        from kiosk.screens.report_receipt import ReceiptView

        view = ReceiptView(request=request, printer_message=self.printer_message)
        view.ids.done.bind(on_release=lambda _b: self.host.home())
        body.add_widget(view)
        self.receipt = view

    def request_update(self, requests: list[KioskRequest]) -> None:
        """The server answered for some requests: the receipt shows the number."""
        for r in requests:
            if self.request is not None and r.local_id == self.request.local_id:
                self.request = r
                if self.step == "receipt":
                    self.receipt.request = r

    def _print(self, request: KioskRequest) -> None:
        desk = self.host.requests
        if desk is None or not desk.printer.present:
            return
        from kiosk.printer import PrinterFault, RequestReceipt

        content = self.host.content
        receipt = RequestReceipt(
            query_code=request.query_code,
            number=request.number,
            hall_name=content.hall.name if content is not None else "",
            category_label=request.category_label,
            deadline_text=request.deadline_text,
            made_at=request.created_at.astimezone(self.host.now().tzinfo),
            qr_url=request.url,
        )
        printer = desk.printer

        def run() -> None:
            try:
                printer.print_request(receipt)
            except PrinterFault as fault:
                message = fault.message
                Clock.schedule_once(lambda _dt: self._printer_fault(request.local_id, message))
            except Exception:
                log.exception("printing the request receipt failed")

        threading.Thread(target=run, name="request-print", daemon=True).start()

    def _printer_fault(self, local_id: int, message: str) -> None:
        if self.request is None or self.request.local_id != local_id:
            return
        self.printer_message = message
        if self.step == "receipt":
            self.receipt.printer_message = message

    # -- speech ----------------------------------------------------------------------

    def speech(self) -> str:
        """What this step says in elder mode (and on 朗读 / 重复)."""
        step = self.step
        if step == "category":
            names = "、".join(c.label for c in self._categories())
            return _("Report a problem. {prompt}. You can press: {names}.").format(
                prompt=self.prompt, names=names
            )
        if step == "phrases" and self.category is not None:
            names = "、".join(self.category.phrases)
            return _("{prompt}. You can press: {names}. Then press Next step.").format(
                prompt=self.prompt, names=names
            )
        if step == "location":
            return _(
                "{prompt}. Type the building number on the keys, press Next part, the unit, "
                "Next part, the room. Or press Skip."
            ).format(prompt=self.prompt)
        if step == "phone":
            return _(
                "{prompt}. Type your mobile number on the keys, or press Skip to stay anonymous."
            ).format(prompt=self.prompt)
        if step == "summary":
            said = "；".join(f"{k}{v}" for k, v in self.summary_lines())
            return _("{prompt}. {summary}. Press Submit, or Previous step to change.").format(
                prompt=self.prompt, summary=said
            )
        if step == "receipt" and self.request is not None:
            once = _("Your query code is {code}. {deadline}.").format(
                code=spaced_digits(self.request.query_code), deadline=self.request.deadline_text
            )
            return _("Registered.") + " " + once + " " + _("Once more:") + " " + once
        return ""

    def _say_message(self) -> None:
        if theme.elder and self.message:
            try:
                self.host.speaker.say(self.message, kind="prompt")
            except Exception:
                log.exception("speaking failed")

    def _scrolled(self, body: Any, widget: Any) -> None:
        """``widget`` in the scrolled part of the page (tiles, chips, the summary)."""
        scroll = self.ids.scroll_body
        scroll.add_widget(widget)
        Clock.schedule_once(lambda _dt: setattr(scroll, "scroll_y", 1))  # its top, once laid out

        def scrolls(*_args: Any) -> None:
            # Only when it does not fit: a ScrollView holds each tap back for its scroll
            # timeout, which a quick finger on the number pad must not feel.
            scroll.do_scroll_y = widget.height > scroll.height + 1
            if not scroll.do_scroll_y or not 0 <= scroll.scroll_y <= 1:
                scroll.scroll_y = 1  # its top (a page of no height left it anywhere)

        widget.bind(height=scrolls)
        scroll.bind(height=scrolls)
        scrolls()

    def _body_only(self, body: Any) -> None:
        """The step fills the page (a number pad, the receipt): no scrolled part."""
        scroll = self.ids.scroll_body
        scroll.size_hint_y, scroll.height, scroll.opacity = None, 0, 0
        body.size_hint_y = 1


load_kv_beside(__file__)
