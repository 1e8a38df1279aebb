"""The speech settings a hall can change: engine, voice, volume, rate, elder-mode slowness."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ENGINES = ("pyttsx3", "espeak-ng")
AUDIO_OUTS = ("auto", "aplay", "paplay", "pw-play", "sox", "afplay", "winsound", "none")
MIN_RATE = 80
MAX_RATE = 450


@dataclass(frozen=True)
class VoiceSettings:
    """How the kiosk speaks. Built from the kiosk's settings file; refuses bad values."""

    enabled: bool = True
    """False: the kiosk stays silent on purpose (the maintenance screen says so)."""
    engine: str = "pyttsx3"
    """``pyttsx3`` (run in a child process) or ``espeak-ng`` (its command line)."""
    driver: str | None = None
    """pyttsx3 driver name (``espeak``, ``sapi5``, ``nsss``); None: the platform's default."""
    voice: str | None = None
    """An exact voice id or name; None: the first Mandarin voice found."""
    volume: float = 1.0
    """0.0–1.0."""
    rate: int = 160
    """Words per minute in normal mode (espeak's unit; 80–450)."""
    slow: bool = False
    """Elder mode: speak at ``rate * slow_factor``."""
    slow_factor: float = 0.75
    """How much slower elder mode speaks (0.3–1.0)."""
    audio_out: str = "auto"
    """How WAVs reach the loudspeaker: ``auto`` or one of :data:`AUDIO_OUTS`."""
    data_dir: Path | None = None
    """Where the chime and scratch WAVs live; None: a private temporary directory."""
    engine_timeout: float = 10.0
    """Seconds an engine may take for one utterance before it counts as hung and restarts."""

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"voice engine must be one of {ENGINES}, not {self.engine!r}")
        if self.audio_out not in AUDIO_OUTS:
            raise ValueError(f"audio_out must be one of {AUDIO_OUTS}, not {self.audio_out!r}")
        if not 0.0 <= self.volume <= 1.0:
            raise ValueError(f"volume must be between 0 and 1, not {self.volume!r}")
        if isinstance(self.rate, bool) or not MIN_RATE <= self.rate <= MAX_RATE:
            raise ValueError(f"rate must be {MIN_RATE}–{MAX_RATE} words/min, not {self.rate!r}")
        if not 0.3 <= self.slow_factor <= 1.0:
            raise ValueError(f"slow_factor must be 0.3–1.0, not {self.slow_factor!r}")
        if not self.engine_timeout > 0:
            raise ValueError(f"engine_timeout must be positive, not {self.engine_timeout!r}")

    @property
    def effective_rate(self) -> int:
        """The rate the engine gets now: slower in elder mode, never below the minimum."""
        if not self.slow:
            return self.rate
        return max(MIN_RATE, round(self.rate * self.slow_factor))

    def replace(self, **changes: object) -> VoiceSettings:
        """A copy with ``changes`` applied and validated."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> VoiceSettings:
        """From a settings file's ``voice`` table; unknown keys are an error, not ignored."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown voice settings: {', '.join(unknown)}")
        values = dict(data)
        if values.get("data_dir") is not None:
            values["data_dir"] = Path(str(values["data_dir"]))
        return cls(**values)  # type: ignore[arg-type]
