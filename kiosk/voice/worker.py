"""The speech worker: one thread owns the engine and the loudspeaker; screens only enqueue.

Queue rules (docs/VOICE.md has the why):

- A ``prompt`` or ``tap`` with ``interrupt`` cuts short the prompt/tap now speaking and
  replaces every queued one; without ``interrupt`` it queues behind them.
- ``call``: chime, then the text twice. Calls play one after another in arrival order,
  never overlap and are never dropped by prompts, taps or ``stop()``. A call arriving
  while a prompt speaks cuts the prompt short (unless ``interrupt=False``); a prompt
  arriving while a call speaks waits until every queued call is done.
- ``stop()`` silences prompts and taps; ``close()`` silences everything.

The engine is opened on the worker thread. If it cannot be (no pyttsx3 driver, no
Mandarin voice), the worker turns silent: ``available`` is False and ``status_text``
says why; nothing else changes for the screens. An engine that fails or hangs on one
utterance is restarted once for the next one.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections import deque
from pathlib import Path

from kiosk.i18n import _
from kiosk.voice.audio_out import AudioFault, AudioOut, NoAudioOut, open_audio_out
from kiosk.voice.chime import chime_path
from kiosk.voice.engine import EngineFault, EngineUnavailable, SpeechEngine, open_engine
from kiosk.voice.settings import VoiceSettings
from kiosk.voice.speaker import Part, SilentSpeaker, Speaker, Spoken, Utterance

_CUTTABLE = ("prompt", "tap")


class SpeechWorker(Speaker):
    """Speaks on its own thread through a pyttsx3 (or espeak-ng) engine."""

    def __init__(
        self, settings: VoiceSettings | None = None, *, audio_out: AudioOut | None = None
    ) -> None:
        super().__init__(settings)
        self._cv = threading.Condition(self._lock)
        self._calls: deque[Utterance] = deque()
        self._prompts: deque[Utterance] = deque()
        self._current: Utterance | None = None
        self._cut = threading.Event()
        self._running = True
        self._ready = threading.Event()
        self._available = False
        self._status = _("Speech is starting")
        self._engine: SpeechEngine | None = None
        self._audio = audio_out
        self._restarts = 0
        self._last_fault = ""
        self.silent_reason = ""
        """Why the worker is silent (empty while it can speak)."""
        if self._settings.data_dir is not None:
            self._scratch = Path(self._settings.data_dir) / "voice"
            self._scratch.mkdir(parents=True, exist_ok=True)
            self._own_scratch = False
        else:
            self._scratch = Path(tempfile.mkdtemp(prefix="kiosk-voice-"))
            self._own_scratch = True
        self._thread = threading.Thread(target=self._run, name="speech-worker", daemon=True)
        self._thread.start()

    # -- state ---------------------------------------------------------------------
    @property
    def available(self) -> bool:
        return self._available

    @property
    def status_text(self) -> str:
        return self._status

    @property
    def restarts(self) -> int:
        """How often a failed or hung engine was replaced since the worker started."""
        return self._restarts

    @property
    def current(self) -> Utterance | None:
        with self._cv:
            return self._current

    def wait_ready(self, timeout: float) -> bool:
        """Block until the engine is open or known missing; False if ``timeout`` passed."""
        return self._ready.wait(timeout)

    @property
    def engine_pid(self) -> int | None:
        """The pyttsx3 engine process id, when there is one (for the watchdog test)."""
        return getattr(self._engine, "pid", None)

    # -- requests from any thread -----------------------------------------------------------
    def _enqueue(self, utterance: Utterance) -> None:
        with self._cv:
            if not self._running:
                return
            if self._ready.is_set() and not self._available:
                return  # silent: recorded in `said`, nothing to play
            current = self._current
            if utterance.kind == "call":
                self._calls.append(utterance)
                if utterance.interrupt and current is not None and current.kind in _CUTTABLE:
                    self._cut.set()
            else:
                if utterance.interrupt:
                    self._prompts.clear()
                    if current is not None and current.kind in _CUTTABLE:
                        self._cut.set()
                self._prompts.append(utterance)
            self._cv.notify_all()

    def stop(self) -> None:
        with self._cv:
            self._prompts.clear()
            if self._current is not None and self._current.kind in _CUTTABLE:
                self._cut.set()
            self._cv.notify_all()

    def close(self) -> None:
        with self._cv:
            super().close()
            self._running = False
            self._calls.clear()
            self._prompts.clear()
            self._cut.set()
            self._cv.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join()

    def wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cv:
            while self._calls or self._prompts or self._current is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cv.wait(left)
        return True

    # -- the worker thread -------------------------------------------------------------------
    def _open_engine(self) -> bool:
        try:
            self._engine = open_engine(self._settings)
        except EngineUnavailable as exc:
            self._engine = None
            self._go_silent(str(exc))
            return False
        return True

    def _go_silent(self, reason: str) -> None:
        with self._cv:
            self.silent_reason = reason
            self._available = False
            self._status = _("Silent: {reason}").format(reason=reason)
            self._calls.clear()
            self._prompts.clear()
            self._cv.notify_all()

    def _describe(self) -> None:
        engine = self._engine.description if self._engine else ""
        audio = self._audio
        if audio is not None and not audio.audible:
            reason = getattr(audio, "reason", "")
            self._status = _("Speech: {engine}; no sound output ({reason})").format(
                engine=engine, reason=reason
            )
        else:
            name = audio.name if audio else ""
            self._status = _("Speech: {engine}; output {output}").format(engine=engine, output=name)
        if self._restarts:
            self._status += _(" (engine restarted {count} times; last: {error})").format(
                count=self._restarts, error=self._last_fault
            )

    def _run(self) -> None:
        try:
            if self._audio is None:
                self._audio = open_audio_out(self._settings)
            if self._open_engine():
                with self._cv:
                    self._available = True
                    self._describe()
            self._ready.set()
            while True:
                with self._cv:
                    while self._running and not (self._calls or self._prompts):
                        self._cv.wait()
                    if not self._running:
                        break
                    utterance = self._calls.popleft() if self._calls else self._prompts.popleft()
                    self._current = utterance
                    self._cut = cut = threading.Event()
                try:
                    self._perform(utterance, cut)
                finally:
                    with self._cv:
                        self._current = None
                        self._cv.notify_all()
        finally:
            self._ready.set()
            with self._cv:
                self._running = False
                self._available = False
                self._cv.notify_all()
            if self._engine is not None:
                self._engine.close()
            if self._audio is not None:
                self._audio.close()
            if self._own_scratch:
                shutil.rmtree(self._scratch, ignore_errors=True)

    def _synthesise(self, text: str, path: Path) -> bool:
        """The WAV for ``text``, restarting a failed engine once. False: stay quiet."""
        settings = self._settings
        for attempt in range(2):
            if self._engine is None and not self._open_engine():
                return False
            assert self._engine is not None
            try:
                self._engine.synthesise(
                    text, path, rate=settings.effective_rate, volume=settings.volume
                )
                if attempt:
                    with self._cv:
                        self._describe()
                return True
            except EngineFault as exc:
                self._engine.close()
                self._engine = None
                self._restarts += 1
                self._last_fault = str(exc)
                if attempt == 1:
                    return False
        return False

    def _perform(self, utterance: Utterance, cut: threading.Event) -> None:
        speech = self._scratch / f"utterance-{utterance.seq}.wav"
        parts: list[Part] = (
            ["chime", "speech", "speech"] if utterance.kind == "call" else ["speech"]
        )
        try:
            for part in parts:
                if part == "chime":
                    path = chime_path(self._scratch, volume=self._settings.volume)
                elif speech.is_file() or cut.is_set() or self._synthesise(utterance.spoken, speech):
                    path = speech
                else:
                    return  # no engine: nothing to play, the status says why
                if cut.is_set():  # cut before a sound: recorded as cut all the same
                    self._record(utterance, part, time.monotonic(), completed=False)
                    return
                if not self._play(utterance, part, path, cut):
                    return
        finally:
            speech.unlink(missing_ok=True)

    def _play(self, utterance: Utterance, part: Part, path: Path, cut: threading.Event) -> bool:
        assert self._audio is not None
        started = time.monotonic()
        try:
            completed = self._audio.play(path, cut)
        except AudioFault as exc:
            # The loudspeaker is gone: keep the queue's timing, say why on the maintenance screen.
            self._audio = NoAudioOut(str(exc))
            with self._cv:
                self._describe()
            completed = self._audio.play(path, cut)
        self._record(utterance, part, started, completed=completed)
        return completed

    def _record(self, utterance: Utterance, part: Part, started: float, *, completed: bool) -> None:
        record = Spoken(
            seq=utterance.seq,
            kind=utterance.kind,
            part=part,
            text="" if part == "chime" else utterance.spoken,
            started=started,
            ended=time.monotonic(),
            completed=completed,
        )
        with self._cv:
            self._spoken.append(record)


def open_speaker(settings: VoiceSettings | None = None, *, wait: float = 0.0) -> Speaker:
    """The kiosk's speaker: a :class:`SpeechWorker`, or :class:`SilentSpeaker` when off.

    With ``wait`` > 0 it waits that long for the engine and returns a
    :class:`SilentSpeaker` (with the reason) if there is none; with 0 it returns at once
    and the worker turns silent by itself if the engine is missing (the app's choice:
    the UI thread must not wait for an engine to start).
    """
    settings = settings or VoiceSettings()
    if not settings.enabled:
        return SilentSpeaker(settings, reason=_("speech is switched off in the settings"))
    worker = SpeechWorker(settings)
    if wait > 0 and worker.wait_ready(wait) and not worker.available:
        reason = worker.silent_reason
        worker.close()
        return SilentSpeaker(settings, reason=reason)
    return worker
