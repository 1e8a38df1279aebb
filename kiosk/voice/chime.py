"""The two-note chime before a call, synthesised with the stdlib (no sound file shipped)."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

FRAMERATE = 22050
"""espeak-ng's output rate, so a chime and speech can share one WAV."""

# A falling major third, like a station announcement: E5 then C5.
_NOTES = ((659.25, 0.0), (523.25, 0.42))
_NOTE_LENGTH = 0.55
_LENGTH = 1.1


def chime_frames(*, volume: float = 1.0, framerate: int = FRAMERATE) -> bytes:
    """16-bit mono PCM of the chime at ``volume`` (0–1)."""
    total = int(_LENGTH * framerate)
    peak = 0.5 * max(0.0, min(volume, 1.0)) * 32767
    samples = []
    for i in range(total):
        t = i / framerate
        value = 0.0
        for freq, start in _NOTES:
            local = t - start
            if 0.0 <= local < _NOTE_LENGTH:
                attack = min(1.0, local / 0.01)  # 10 ms attack: no click
                decay = math.exp(-5.0 * local)
                tail = min(1.0, (_NOTE_LENGTH - local) / 0.02)
                harmonic = math.sin(2 * math.pi * freq * local) + 0.3 * math.sin(
                    4 * math.pi * freq * local
                )
                value += attack * decay * tail * harmonic / 1.3
        samples.append(max(-32767, min(32767, int(peak * value))))
    return struct.pack(f"<{total}h", *samples)


def write_chime(path: Path, *, volume: float = 1.0, framerate: int = FRAMERATE) -> Path:
    """Write the chime as a WAV to ``path`` (atomically) and return ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    with wave.open(str(partial), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(framerate)
        out.writeframes(chime_frames(volume=volume, framerate=framerate))
    partial.replace(path)
    return path


def chime_path(directory: Path, *, volume: float = 1.0) -> Path:
    """The chime at ``volume`` in ``directory``, written at first use."""
    path = directory / f"chime-{round(volume * 100):03d}.wav"
    if not path.is_file():
        write_chime(path, volume=volume)
    return path
