"""The kiosk's microphone for a resident's voice note (语音留言, up to 60 s).

:class:`VoiceRecorder` is what the 我要反映 screen uses: ``present`` (offer a voice note at
all), ``start(path)``, ``stop()`` → the :class:`VoiceNote` written (a mono PCM WAV, as the
server's media validator wants), ``cancel()``. :class:`NoRecorder` is the do-nothing
fallback on a kiosk without a microphone (the screen then offers phrases only).
:class:`FileRecorder` "records" a WAV file given to it (the tests and the demo): it writes
the file's audio, cut to :data:`MAX_SECONDS`, as the recording. Imports no kivy.
"""

from __future__ import annotations

import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

__all__ = ["MAX_SECONDS", "FileRecorder", "NoRecorder", "VoiceNote", "VoiceRecorder"]

MAX_SECONDS = 60.0
"""The longest voice note, in seconds (the server refuses longer ones)."""


@dataclass(frozen=True, slots=True)
class VoiceNote:
    """A finished recording: its WAV file and length in seconds."""

    path: Path
    seconds: float


class VoiceRecorder(Protocol):
    """A microphone behind a small interface."""

    @property
    def present(self) -> bool:
        """True when the kiosk can record (the screen offers 语音留言)."""
        ...

    def start(self, path: Path) -> None:
        """Start recording into ``path``; recording stops by itself at 60 s."""
        ...

    def stop(self) -> VoiceNote | None:
        """Stop and return the note (None when nothing was recorded)."""
        ...

    def cancel(self) -> None:
        """Stop and throw the recording away."""
        ...


class NoRecorder:
    """No microphone: nothing is offered, nothing recorded."""

    @property
    def present(self) -> bool:
        return False

    def start(self, path: Path) -> None:
        return None

    def stop(self) -> VoiceNote | None:
        return None

    def cancel(self) -> None:
        return None


class FileRecorder:
    """A recorder whose "microphone" is the WAV file ``source``.

    :meth:`stop` writes as much of ``source`` as the time since :meth:`start` (or all of
    it with ``whole=True``), never more than :data:`MAX_SECONDS`, as a mono WAV at the
    path given to :meth:`start`.
    """

    def __init__(self, source: Path, *, whole: bool = True) -> None:
        self.source = Path(source)
        self.whole = whole
        self._path: Path | None = None
        self._started = 0.0

    @property
    def present(self) -> bool:
        return self.source.is_file()

    def start(self, path: Path) -> None:
        self._path = Path(path)
        self._started = time.monotonic()

    def stop(self) -> VoiceNote | None:
        path, self._path = self._path, None
        if path is None:
            return None
        with wave.open(str(self.source), "rb") as src:
            rate, width, channels = src.getframerate(), src.getsampwidth(), src.getnchannels()
            limit = (
                MAX_SECONDS if self.whole else min(MAX_SECONDS, time.monotonic() - self._started)
            )
            frames = src.readframes(min(src.getnframes(), int(rate * limit)))
        if channels != 1:  # keep the first channel: the server takes mono only
            step = width * channels
            frames = b"".join(frames[i : i + width] for i in range(0, len(frames), step))
        path.parent.mkdir(parents=True, exist_ok=True)
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(width)
            out.setframerate(rate)
            out.writeframes(frames)
        seconds = len(frames) / (width * rate) if rate else 0.0
        return VoiceNote(path, seconds) if seconds > 0 else None

    def cancel(self) -> None:
        self._path = None
