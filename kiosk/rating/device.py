"""The rating device's screens: who serves here, the question, reasons, phone, thanks.

:class:`RatingDevice` is the root widget (a ScreenManager). It is handed its
collaborators — the :class:`~kiosk.rating.session.RatingSession` flow (whose
``on_finished`` stores each prompt durably, so a rating is kept *before* 谢谢 is shown)
and the :class:`~kiosk.rating.store.RatingStore` (the cached staff card) — and shows
what the session's stage says. In elder mode (长辈模式: bigger text, slower speech)
each screen's question and each touched choice is read aloud by the existing speaker.
"""

from __future__ import annotations

import logging
from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import NoTransition, Screen, ScreenManager

from kiosk.core.ratings import Level, Reason
from kiosk.core.wire import EventPublic, RatingCardPublic
from kiosk.i18n import _
from kiosk.rating import faces  # noqa: F401  (kv rules)
from kiosk.rating.session import RatingSession, Stage, completed_here
from kiosk.rating.store import RatingStore
from kiosk.theme import theme
from kiosk.voice import Speaker
from kiosk.widgets import buttons, text  # noqa: F401  (kv rules)
from kiosk.widgets.kv import load_kv_beside

__all__ = ["THANKS_SECONDS", "RatingDevice"]

log = logging.getLogger("kiosk.rating")

#: How long 谢谢您的评价 stays before the device shows the staff card again.
THANKS_SECONDS = 4.0


class IdleScreen(Screen):
    window = StringProperty("")
    """The window's name ("3号窗口"), str."""
    name_text = StringProperty("")
    """The staff member's name, str ("" when nobody is named)."""
    post = StringProperty("")
    """The staff member's post (职务), str."""
    photo = StringProperty("")
    """Path of the cached photo, str ("" for none)."""


class AskScreen(Screen):
    seconds_left = NumericProperty(0)
    """Seconds the resident still has (60 → 0), int."""


class ReasonsScreen(Screen):
    chosen = ListProperty([])
    """The reason values toggled on, list of str."""
    problem = StringProperty("")
    """Why the resident cannot go on (Chinese), str."""
    level_text = StringProperty("")
    """The 差评 level's word, for the heading, str."""


class PhoneScreen(Screen):
    digits = StringProperty("")
    """The phone typed so far, str."""
    problem = StringProperty("")
    """Why the phone is refused (Chinese), str."""


class ThanksScreen(Screen):
    pass


class RatingDevice(ScreenManager):
    """The device; ``counter_id`` the window it faces, ``clock`` its (injectable) clock."""

    elder = BooleanProperty(False)
    """Elder mode on this device (bigger text, read aloud), bool, default False."""

    elder_default = BooleanProperty(False)
    """Elder mode to go back to once a resident has gone (kiosk.toml ``elder_default``)."""

    def __init__(
        self,
        *,
        session: RatingSession,
        store: RatingStore,
        speaker: Speaker | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(transition=NoTransition(), **kwargs)
        self.session = session
        self.store = store
        self.speaker = speaker
        self.levels = [(level.value, level.label) for level in Level]
        self.reasons = [(reason.value, reason.label) for reason in Reason]
        self._thanks_event: Any = None
        self._build_screens()
        self._tick_event = Clock.schedule_interval(self._tick, 0.5)

    @property
    def shown(self) -> str:
        """The name of the screen on show ("idle", "ask", "reasons", "phone", "thanks")."""
        return str(self.property("current").get(self))

    # -- what the app hands in ---------------------------------------------------------------
    def on_event(self, event: EventPublic) -> None:
        """An event of the hall (UI thread): ask when this counter's ticket was completed."""
        ticket = completed_here(event, self.session.counter_id)
        if ticket is None:
            return
        window = event.data.get("window")
        if self.session.ask(ticket, window=window if isinstance(window, int) else 0):
            self._show()

    def show_card(self, card: RatingCardPublic | None) -> None:
        idle = self.get_screen("idle")
        staff = card.staff if card is not None else None
        idle.window = card.window if card is not None else ""
        idle.name_text = staff.name if staff is not None else ""
        idle.post = staff.post if staff is not None else ""
        path = self.store.photo_path() if staff is not None and staff.photo else None
        idle.photo = str(path) if path is not None else ""
        if path is not None:
            idle.ids.photo.reload()  # the same file name: a replaced photo is read again

    def set_elder(self, on: bool) -> None:
        """Elder mode on or off: the screens are made again in the new palette and sizes
        (a kv rule's colour set in a subclass does not follow a palette change, the same
        reason the kiosk app restyles), slower speech, and the screen read out."""
        changed = bool(on) != self.elder or bool(on) != theme.elder
        self.elder = bool(on)
        theme.elder = self.elder
        if changed:
            self._build_screens()
        if self.speaker is not None:
            self.speaker.set_slow(self.elder)
            if self.elder:
                self.speaker.say(_("Elder mode is on: large text, and everything is read out."))
        self._speak_screen()

    # -- what the screens call ---------------------------------------------------------------
    def choose(self, level: str) -> None:
        self._echo(Level(level).label)
        self.session.choose(level)
        self._show()

    def toggle(self, reason: str) -> None:
        self.session.toggle(reason)
        self._echo(Reason(reason).label)
        self.get_screen("reasons").chosen = sorted(r.value for r in self.session.reasons)
        self.get_screen("reasons").problem = ""

    def back_to_faces(self) -> None:
        self.session.back_to_faces()
        self._show()

    def confirm_reasons(self) -> None:
        problem = self.session.confirm_reasons()
        self.get_screen("reasons").problem = problem or ""
        if problem:
            self._echo(problem)
        self._show()

    def press_digit(self, digit: str) -> None:
        self.session.press_digit(digit)
        self._update_phone()

    def delete_digit(self) -> None:
        self.session.delete_digit()
        self._update_phone()

    def submit(self, with_phone: bool) -> None:
        problem = self.session.submit(with_phone=with_phone)
        self.get_screen("phone").problem = problem or ""
        if problem:
            self._echo(problem)
        self._show()

    # -- internals ----------------------------------------------------------------------------
    def _build_screens(self) -> None:
        self.clear_widgets()
        for screen in (
            IdleScreen(name="idle"),
            AskScreen(name="ask"),
            ReasonsScreen(name="reasons"),
            PhoneScreen(name="phone"),
            ThanksScreen(name="thanks"),
        ):
            self.add_widget(screen)
        self.show_card(self.store.card())
        stage = self.session.stage
        reasons = self.get_screen("reasons")
        reasons.chosen = sorted(r.value for r in self.session.reasons)
        reasons.level_text = self.session.level.label if self.session.level else ""
        self.get_screen("phone").digits = self.session.phone
        self.get_screen("ask").seconds_left = int(self.session.seconds_left + 0.999)
        self.property("current").set(self, stage.value)

    def _update_phone(self) -> None:
        phone = self.get_screen("phone")
        phone.digits = self.session.phone
        phone.problem = ""

    def _tick(self, _dt: float) -> None:
        if self.session.tick():
            self._back_to_idle()
        elif self.shown in ("ask", "reasons", "phone"):
            self.get_screen("ask").seconds_left = int(self.session.seconds_left + 0.999)

    def _show(self) -> None:
        stage = self.session.stage
        target = stage.value
        if stage is Stage.ASK:
            self.get_screen("ask").seconds_left = int(self.session.seconds_left + 0.999)
        elif stage is Stage.REASONS:
            screen = self.get_screen("reasons")
            screen.chosen = sorted(r.value for r in self.session.reasons)
            level = self.session.level
            screen.level_text = level.label if level is not None else ""
        elif stage is Stage.PHONE:
            self.get_screen("phone").digits = self.session.phone
        elif stage is Stage.THANKS:
            if self._thanks_event is not None:
                self._thanks_event.cancel()
            self._thanks_event = Clock.schedule_once(self._thanked, THANKS_SECONDS)
        if self.shown != target:
            self.property("current").set(self, target)
            self._speak_screen()

    def _thanked(self, _dt: float) -> None:
        self._thanks_event = None
        self.session.done_thanking()
        self._back_to_idle()

    def _back_to_idle(self) -> None:
        """The resident has gone: the next one starts in the hall's default mode."""
        if self.elder != self.elder_default:
            self.set_elder(self.elder_default)
        self._show()

    def _speak_screen(self) -> None:
        if not self.elder or self.speaker is None:
            return
        words = {
            "ask": _(
                "Please rate this service: very satisfied, satisfied, fair, unsatisfied or very unsatisfied."  # noqa: E501
            ),
            "reasons": _("Please choose at least one reason, then press Next."),
            "phone": _("You may leave your phone number for a call back, or submit without it."),
            "thanks": _("Thank you for your rating."),
        }.get(self.shown)
        if words:
            self.speaker.say(words)

    def _echo(self, words: str) -> None:
        if self.elder and self.speaker is not None:
            self.speaker.say(words, kind="tap")

    def stop(self) -> None:
        self._tick_event.cancel()
        if self._thanks_event is not None:
            self._thanks_event.cancel()


load_kv_beside(__file__)
