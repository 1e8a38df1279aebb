"""How a WAV reaches the loudspeaker, in a way that can be cut short at any moment.

Every player runs as its own process (``aplay``, ``paplay``, ``pw-play``, sox's ``play``,
``afplay``) so that cutting a prompt short is a ``kill``, never a call into a TTS engine
that may hang. On Windows ``winsound`` plays asynchronously and is purged. With no audio
device at all, :class:`NoAudioOut` waits out the WAV's length, so queueing and
interruption behave exactly as with sound, and says so on the maintenance screen.
"""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
import threading
import time
import wave
from pathlib import Path
from typing import Any

from kiosk.voice.settings import VoiceSettings

_POLL = 0.01


class AudioFault(Exception):
    """The player could not play a WAV (device gone, busy, player crashed)."""


def wav_seconds(path: Path) -> float:
    """Length of the WAV at ``path`` in seconds."""
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / float(wav.getframerate())


class AudioOut:
    """Plays one WAV at a time; ``cut`` stops it within ~10 ms."""

    name = "none"

    @property
    def audible(self) -> bool:
        """True when something actually comes out of a loudspeaker."""
        return True

    def play(self, path: Path, cut: threading.Event) -> bool:
        """Play ``path`` to the end (True) or until ``cut`` is set (False)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the device."""


class CommandAudioOut(AudioOut):
    """A player program run once per WAV, killed to cut it short."""

    def __init__(self, name: str, argv: list[str]) -> None:
        self.name = name
        self._argv = argv

    def play(self, path: Path, cut: threading.Event) -> bool:
        try:
            proc = subprocess.Popen(
                [*self._argv, str(path)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        except OSError as exc:
            raise AudioFault(f"{self.name}: {exc}") from exc
        with proc:  # closes the stderr pipe and reaps the process, whatever happens
            try:
                while proc.poll() is None:
                    if cut.wait(_POLL):
                        proc.kill()
                        return False
            finally:
                if proc.poll() is None:  # cut, or an exception above: never leave a player
                    proc.kill()
            err = proc.stderr.read() if proc.stderr else b""
        if proc.returncode != 0:
            message = err.decode("utf-8", "replace").strip().splitlines()
            raise AudioFault(f"{self.name} exit {proc.returncode}: {' '.join(message[-2:])}")
        return True


class WinsoundAudioOut(AudioOut):  # pragma: no cover - Windows only
    """Windows: ``winsound.PlaySound`` asynchronously, purged to cut short."""

    name = "winsound"

    def play(self, path: Path, cut: threading.Event) -> bool:
        winsound: Any = importlib.import_module("winsound")
        length = wav_seconds(path)
        winsound.PlaySound(str(path), winsound.SND_FILENAME | winsound.SND_ASYNC)
        if cut.wait(length + 0.05):
            winsound.PlaySound(None, winsound.SND_PURGE)
            return False
        return True


class NoAudioOut(AudioOut):
    """No audio device: take as long as the WAV would, so the queue behaves the same."""

    name = "none"

    def __init__(self, reason: str = "") -> None:
        self.reason = reason

    @property
    def audible(self) -> bool:
        return False

    def play(self, path: Path, cut: threading.Event) -> bool:
        deadline = time.monotonic() + wav_seconds(path)
        return not cut.wait(max(0.0, deadline - time.monotonic()))


def _runtime_dir() -> Path | None:
    value = os.environ.get("XDG_RUNTIME_DIR")
    return Path(value) if value else None


def open_audio_out(settings: VoiceSettings) -> AudioOut:
    """The player ``settings.audio_out`` names, or for ``auto`` the first that can work."""
    choice = settings.audio_out
    commands = {
        "pw-play": ["pw-play"],
        "paplay": ["paplay"],
        "aplay": ["aplay", "-q"],
        "sox": ["play", "-q"],
        "afplay": ["afplay"],
    }
    if choice == "none":
        return NoAudioOut("audio_out = none")
    if choice == "winsound":
        return WinsoundAudioOut()
    if choice in commands:
        argv = commands[choice]
        if shutil.which(argv[0]) is None:
            return NoAudioOut(f"{argv[0]} is not installed")
        return CommandAudioOut(choice, argv)
    # auto
    if sys.platform == "win32":
        return WinsoundAudioOut()
    if sys.platform == "darwin" and shutil.which("afplay"):
        return CommandAudioOut("afplay", commands["afplay"])
    runtime = _runtime_dir()
    if runtime and (runtime / "pipewire-0").exists() and shutil.which("pw-play"):
        return CommandAudioOut("pw-play", commands["pw-play"])
    pulse = os.environ.get("PULSE_SERVER") or (runtime and (runtime / "pulse" / "native").exists())
    if pulse and shutil.which("paplay"):
        return CommandAudioOut("paplay", commands["paplay"])
    if Path("/dev/snd").is_dir():
        for name in ("aplay", "sox"):
            if shutil.which(commands[name][0]):
                return CommandAudioOut(name, commands[name])
        return NoAudioOut("no player program (aplay, paplay, pw-play or sox)")
    return NoAudioOut("no audio device")
