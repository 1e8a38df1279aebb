"""Speech in the kiosk app: elder mode (长辈模式), screen prompts, tap echoes and calls.

:class:`ReadAloud` is the app's one link to :mod:`kiosk.voice`. It opens the speaker from
the ``[kiosk.voice]`` settings without waiting for the engine, and decides what is said:

- **elder mode** (``theme.elder``): every screen, on arrival, says where you are, what it
  shows and what you can press (:func:`screen_prompt`); every tap says what was pressed
  (``kind="tap"``); speech is slower; calls from the hall are announced here too (chime,
  said twice) for the resident standing at the kiosk;
- **normal mode**: the kiosk says nothing by itself (the hall display announces calls for
  everyone; a second loudspeaker repeating them would only echo), but the 朗读 button in
  the bottom bar reads the screen out (the same prompt as elder mode), and a ticket is
  read once with the number of people ahead.

The 重复 / 停止 buttons call :meth:`ReadAloud.repeat` and :meth:`ReadAloud.stop`; their own
taps are not echoed (an echo would cut short what the resident asked to hear, or undo
the silence asked for). Used by :mod:`kiosk.app` only; screens reach the speaker as
``host.speaker``.
"""

from __future__ import annotations

import gc
import re
import time
from typing import Any

from kiosk.core.markup import strip_markup
from kiosk.i18n import _
from kiosk.theme import theme
from kiosk.voice import SilentSpeaker, Speaker, VoiceSettings, open_speaker

__all__ = ["ReadAloud", "pressed_name", "screen_prompt", "shown_words"]

#: A finger that moved further than this (px) between down and up scrolled, not tapped.
TAP_SLOP = 24
#: A prompt within this many seconds of a tap echo waits for the echo instead of cutting it.
ECHO_GRACE = 1.5


def plain(text: str) -> str:
    """Label text without Kivy markup tags, entities back to characters."""
    return strip_markup(text).strip()


_LAYOUT_SPACE = re.compile(r"[ \t\r\n]+")


def shown_words(text: str) -> str:
    """The words of a label exactly as the screen shows them, for speech.

    Markup goes (:func:`plain`) and line breaks and runs of spaces become one space (the
    label's wrapping, not its words); every other character stays as shown — the
    ideographic space of "正在开放　今天 …" too — so what is spoken is what is on screen.
    """
    return _LAYOUT_SPACE.sub(" ", plain(text)).strip()


def _visible(w: Any) -> bool:
    return bool(w.opacity > 0 and w.width > 0 and w.height > 0 and w.parent is not None)


def pressed_name(widget: Any) -> str:
    """What a resident would call the button ``widget``: its ``speech``, title or text."""
    for attr in ("speech", "title", "text"):
        value = getattr(widget, attr, "")
        if isinstance(value, str) and plain(value):
            return shown_words(value)
    labels = [plain(c.text) for c in _walk(widget) if hasattr(c, "text") and c is not widget]
    return " ".join(t for t in labels if t)


def _walk(root: Any) -> list[Any]:
    """``root`` and every widget under it not hidden by opacity, in document order.

    Document order (kv order: top to bottom, left to right in the app's box and grid
    layouts) needs no finished layout, so a prompt can be made the moment a screen is
    shown, before its labels have their sizes.
    """
    out: list[Any] = []

    def visit(w: Any) -> None:
        if w is not root and getattr(w, "opacity", 1) == 0:
            return
        out.append(w)
        for child in reversed(w.children):  # Kivy keeps the last added child first
            visit(child)

    visit(root)
    return out


def screen_facts(screen: Any) -> tuple[list[str], list[str]]:
    """(texts shown, names of the buttons) of ``screen``, in reading order, no repeats."""
    from kivy.uix.behaviors import ButtonBehavior
    from kivy.uix.label import Label

    facts: list[str] = []
    buttons: list[str] = []
    inside_buttons: set[int] = set()
    widgets = _walk(screen)
    for w in widgets:
        if isinstance(w, ButtonBehavior) and not w.disabled:
            inside_buttons.update(id(c) for c in _walk(w))
    for w in widgets:
        if isinstance(w, ButtonBehavior) and not w.disabled:
            name = pressed_name(w)
            if name and name not in buttons:
                buttons.append(name)
        elif isinstance(w, Label) and id(w) not in inside_buttons:
            text = shown_words(w.text)
            if text and text not in facts:
                facts.append(text)
    return facts, buttons


def screen_prompt(screen: Any) -> str:
    """What ``screen`` says on arrival: where you are, what it shows, what you can press.

    A screen may say it its own way with a ``speech()`` method (the ticket screen reads
    the number twice). Facts are the labels as shown; times, dates, phone numbers and
    ticket numbers become words in the speaker's normaliser.
    """
    own = getattr(screen, "speech", None)
    if callable(own):
        text = own()
        if text:
            return str(text)
    heading = plain(getattr(screen, "heading", "") or "")
    facts, buttons = screen_facts(screen)
    if getattr(screen, "name", "") == "home":
        heading = _("Home")
    where = heading or (facts[0] if facts else "")
    parts = [_("You are on: {where}.").format(where=where)] if where else []
    parts += [f if f[-1:] in "。！？.!?：:" else f + "。" for f in facts if f != heading]
    if buttons:
        parts.append(_("You can press: {buttons}.").format(buttons="、".join(buttons)))
    return " ".join(parts)


class ReadAloud:
    """The app's speech: owns the speaker, follows elder mode, says prompts and taps."""

    def __init__(self, app: Any, *, settings: VoiceSettings | None = None) -> None:
        self.app = app
        self.speaker: Speaker = self._open(settings)
        self._last_echo = 0.0
        self._hushed = False

    def _open(self, settings: VoiceSettings | None) -> Speaker:
        if settings is None:
            try:
                values = dict(self.app.settings.voice)
                values.setdefault("data_dir", str(self.app.settings.data_dir))
                settings = VoiceSettings.from_mapping(values)
            except (TypeError, ValueError) as exc:
                return SilentSpeaker(reason=str(exc))
        try:
            # wait=0: the UI thread never waits for the engine; a missing engine turns
            # the worker silent by itself, and the maintenance screen says why.
            return open_speaker(settings, wait=0)
        except Exception as exc:  # no speech must never stop the kiosk
            return SilentSpeaker(settings, reason=repr(exc))

    def reopen(self, settings: VoiceSettings) -> Speaker:
        """Close the speaker and open one with ``settings`` (maintenance, tests)."""
        self.speaker.close()
        self.speaker = self._open(settings)
        self.speaker.set_slow(theme.elder)
        return self.speaker

    # -- elder mode ----------------------------------------------------------------------
    @property
    def elder(self) -> bool:
        return bool(theme.elder)

    def set_elder(self, on: bool, *, announce: bool = True) -> None:
        """Elder mode on or off: bigger text and contrast (the app restyles), slow speech."""
        self.speaker.set_slow(on)
        if on == theme.elder:
            return
        # Widgets dropped by the last restyle may still wait for the cycle collector; a kv
        # rule of a half-collected screen (its root gone, a child not yet) raises
        # ReferenceError when the theme change reaches it. Collect them first.
        gc.collect()
        theme.elder = on
        if not announce:
            return
        if on:
            self.speaker.say(_("Elder mode is on: large text, and everything is read out."))
        else:
            self.speaker.say(_("Elder mode is off."))

    # -- what the app calls ------------------------------------------------------------
    def screen_shown(self, screen: Any) -> None:
        """A screen arrived: in elder mode, say where the resident is and what to do."""
        if not theme.elder or self._hushed:
            return
        self.say_screen(screen)

    def say_screen(self, screen: Any) -> None:
        """Say ``screen``'s prompt now (after a tap's echo, if one is speaking)."""
        text = screen_prompt(screen)
        if text:
            recent_echo = time.monotonic() - self._last_echo < ECHO_GRACE
            self.speaker.say(text, kind="prompt", interrupt=not recent_echo)

    def touch_up(self, window: Any, touch: Any) -> None:
        """Window touch-up (before the widgets get it): echo the pressed button's name."""
        self._hushed = False
        if not theme.elder:
            return
        if abs(touch.x - touch.ox) > TAP_SLOP or abs(touch.y - touch.oy) > TAP_SLOP:
            return
        button = self.button_at(window, touch.x, touch.y)
        if button is None or getattr(button, "quiet_tap", False):
            return
        name = pressed_name(button)
        if name:
            self._last_echo = time.monotonic()
            self.speaker.say(name, kind="tap")

    @staticmethod
    def button_at(window: Any, x: float, y: float) -> Any:
        """The topmost enabled button under window point (x, y), or None."""
        from kivy.uix.behaviors import ButtonBehavior

        def find(w: Any) -> Any:
            if not _visible(w) or getattr(w, "disabled", False):
                return None
            px, py = w.parent.to_widget(x, y) if w.parent is not window else (x, y)
            if not w.collide_point(px, py):
                return None
            for child in w.children:  # front-most first
                hit = find(child)
                if hit is not None:
                    return hit
            return w if isinstance(w, ButtonBehavior) else None

        for top in window.children:
            hit = find(top)
            if hit is not None:
                return hit
        return None

    def call(self, number: str, window: int | None) -> None:
        """A call from the hall: announced here in elder mode (the display always does)."""
        if theme.elder and window is not None:
            self.speaker.announce_call(number, window)

    def repeat(self) -> None:
        """重复: the current screen's prompt again (its current facts, not a stale copy)."""
        screen = self.app.screens.get(self.app.current_name)
        if screen is not None:
            self.say_screen(screen)
        else:
            self.speaker.repeat()

    def stop(self) -> None:
        """停止: silence the prompt or echo now speaking (calls go on)."""
        self.speaker.stop()

    def reset(self) -> None:
        """Idle reset: back to the hall's default mode; nothing left speaking."""
        self.speaker.stop()
        self._hushed = True  # nobody is there: home comes back without a word
        self.set_elder(bool(getattr(self.app.settings, "elder_default", False)), announce=False)

    def close(self) -> None:
        self.speaker.close()
