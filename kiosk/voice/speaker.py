"""The one small interface screens speak through, and the do-nothing speaker chosen last."""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Literal, get_args

from kiosk.core.speech import normalise, say_call
from kiosk.i18n import _
from kiosk.voice.settings import VoiceSettings

Kind = Literal["prompt", "call", "tap"]
"""``prompt``: what a screen says (where you are, what you can do, a ticket read out);
``tap``: the echo of a pressed button; ``call``: a hall announcement (chime, said twice)."""
KINDS: tuple[str, ...] = get_args(Kind)
Part = Literal["chime", "speech"]

_HISTORY = 500


@dataclass(frozen=True)
class Utterance:
    """One request to speak, as a screen made it."""

    seq: int
    kind: Kind
    text: str
    """As the screen wrote it."""
    spoken: str
    """After :func:`kiosk.core.speech.normalise`: what the engine is given."""
    interrupt: bool
    requested: float
    """``time.monotonic()`` when ``say`` was called."""


@dataclass(frozen=True)
class Spoken:
    """One piece of audio the speaker played (or began to play and cut short)."""

    seq: int
    """The :attr:`Utterance.seq` it belongs to."""
    kind: Kind
    part: Part
    text: str
    """The normalised text; empty for the chime."""
    started: float
    ended: float
    completed: bool
    """False when a newer prompt, ``stop()`` or ``close()`` cut it short."""


class Speaker:
    """What screens speak through. Subclasses decide how (or whether) it is heard.

    Every request is kept in :attr:`said` (normalised), whatever the subclass does with
    it, so a screen's speech can be checked without a loudspeaker.
    """

    def __init__(self, settings: VoiceSettings | None = None) -> None:
        self._settings = settings or VoiceSettings()
        self._lock = threading.RLock()
        self._said: deque[Utterance] = deque(maxlen=_HISTORY)
        self._spoken: deque[Spoken] = deque(maxlen=_HISTORY)
        self._last_prompt: Utterance | None = None
        self._seq = itertools.count(1)
        self._closed = False

    # -- what the maintenance screen shows ------------------------------------------
    @property
    def available(self) -> bool:
        """True when speech can actually be heard (engine and Chinese voice present)."""
        return False

    @property
    def status_text(self) -> str:
        """One line for the maintenance screen: engine, voice and output, or why silent."""
        return _("Speech is off")

    @property
    def settings(self) -> VoiceSettings:
        """Volume, rate and elder-mode slowness in force now."""
        return self._settings

    def update_settings(self, **changes: object) -> VoiceSettings:
        """Change volume, rate or ``slow`` (elder mode); applies from the next utterance."""
        with self._lock:
            self._settings = self._settings.replace(**changes)
            return self._settings

    def set_slow(self, slow: bool) -> None:
        """Elder mode on or off: slower speech from the next utterance."""
        self.update_settings(slow=slow)

    # -- what screens call ------------------------------------------------------------
    def say(self, text: str, *, kind: Kind = "prompt", interrupt: bool = True) -> None:
        """Queue ``text`` and return at once; never waits for the engine.

        ``prompt``/``tap`` with ``interrupt`` (the default) cut short the prompt or tap
        now speaking and drop the ones still queued; without it they queue behind. A
        ``call`` is never dropped or overlapped: it waits for the call before it; with
        ``interrupt`` it cuts short a prompt that is speaking, without it waits for it.
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        spoken = " ".join(normalise(text).split())
        if not spoken:
            return
        utterance = Utterance(
            seq=next(self._seq),
            kind=kind,
            text=text,
            spoken=spoken,
            interrupt=interrupt,
            requested=time.monotonic(),
        )
        with self._lock:
            if self._closed:
                return
            self._said.append(utterance)
            if kind == "prompt":
                self._last_prompt = utterance
        self._enqueue(utterance)

    def announce_call(self, number: str, window: int) -> None:
        """A hall call: chime, then "请 A 零 一 二 号 到 二 号窗口办理" twice."""
        self.say(say_call(number, window), kind="call")

    @property
    def current(self) -> Utterance | None:
        """What is being spoken now (None when quiet)."""
        return None

    def stop(self) -> None:
        """The resident's "停止": silence the prompt or tap now speaking, drop queued ones.

        Calls are the hall's announcements, not this resident's: they go on.
        """

    def repeat(self) -> bool:
        """The resident's "重复": say the last prompt again. False when there was none."""
        with self._lock:
            last = self._last_prompt
        if last is None:
            return False
        self.say(last.text, kind="prompt", interrupt=True)
        return True

    def close(self) -> None:
        """Stop everything and release the engine. Safe to call twice."""
        with self._lock:
            self._closed = True

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is speaking or queued; False if ``timeout`` passed first."""
        return True

    # -- what tests and the maintenance screen read --------------------------------------
    @property
    def said(self) -> list[Utterance]:
        """Every request ``say`` accepted, oldest first (the last few hundred)."""
        with self._lock:
            return list(self._said)

    @property
    def spoken(self) -> list[Spoken]:
        """Every piece of audio played or cut short, oldest first (the last few hundred)."""
        with self._lock:
            return list(self._spoken)

    def _enqueue(self, utterance: Utterance) -> None:
        """Hand ``utterance`` to whatever makes it heard; the base class drops it."""


class SilentSpeaker(Speaker):
    """Says nothing, records what it was asked to say, and tells the maintenance screen why.

    Chosen last: when speech is switched off, or there is no engine or Chinese voice, the
    kiosk runs on with this one.
    """

    def __init__(self, settings: VoiceSettings | None = None, *, reason: str = "") -> None:
        super().__init__(settings)
        self._reason = reason

    @property
    def status_text(self) -> str:
        if self._reason:
            return _("Silent: {reason}").format(reason=self._reason)
        return _("Speech is off")
