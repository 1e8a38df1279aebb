"""Speech to a WAV file through the same engine and normaliser as the kiosk (``kiosk say``)."""

from __future__ import annotations

import tempfile
import wave
from pathlib import Path

from kiosk.core.speech import normalise
from kiosk.voice.chime import chime_frames
from kiosk.voice.engine import EngineUnavailable, SpeechEngine, open_engine
from kiosk.voice.settings import VoiceSettings
from kiosk.voice.speaker import KINDS, Kind

_GAP = 0.4
"""Seconds of silence between the chime and a call and between its two readings."""


def render_to_wav(
    text: str,
    path: Path | str,
    *,
    rate: int | None = None,
    kind: Kind = "prompt",
    settings: VoiceSettings | None = None,
    engine: SpeechEngine | None = None,
) -> Path:
    """Write ``text`` as the kiosk would say it to the WAV ``path`` and return the path.

    ``kind="call"`` renders what the hall hears: chime, the text, the text again.
    ``rate`` overrides the settings' rate (words/min); elder mode's ``slow`` applies.
    Raises :class:`EngineUnavailable` when there is no engine or Mandarin voice, and
    :class:`ValueError` for text that says nothing.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    settings = settings or VoiceSettings()
    if rate is not None:
        settings = settings.replace(rate=rate)
    spoken = " ".join(normalise(text).split())
    if not spoken:
        raise ValueError("nothing to say: the text is empty")
    out = Path(path)
    own = engine is None
    active = engine or open_engine(settings)
    try:
        with tempfile.TemporaryDirectory(prefix="kiosk-say-") as tmp:
            speech = Path(tmp) / "speech.wav"
            active.synthesise(spoken, speech, rate=settings.effective_rate, volume=settings.volume)
            if kind != "call":
                _copy(speech, out)
            else:
                _write_call(speech, out, volume=settings.volume)
    finally:
        if own:
            active.close()
    return out


def _copy(source: Path, out: Path) -> None:
    with wave.open(str(source), "rb") as wav:
        params, frames = wav.getparams(), wav.readframes(wav.getnframes())
    _write(out, params, frames)


def _write_call(speech: Path, out: Path, *, volume: float) -> None:
    with wave.open(str(speech), "rb") as wav:
        params, frames = wav.getparams(), wav.readframes(wav.getnframes())
    if params.nchannels != 1 or params.sampwidth != 2:
        raise EngineUnavailable("the engine's WAV is not 16-bit mono; cannot add the chime")
    gap = b"\0\0" * int(_GAP * params.framerate)
    chime = chime_frames(volume=volume, framerate=params.framerate)
    _write(out, params, chime + gap + frames + gap + frames)


def _write(out: Path, params: wave._wave_params, frames: bytes) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")
    with wave.open(str(partial), "wb") as wav:
        wav.setnchannels(params.nchannels)
        wav.setsampwidth(params.sampwidth)
        wav.setframerate(params.framerate)
        wav.writeframes(frames)
    partial.replace(out)
