"""Text in, WAV out: the TTS engines the speech worker can drive.

:class:`Pyttsx3Engine` (the default) keeps pyttsx3 in a child process (see
``engine_host.py`` for why) and talks to it over pipes with a timeout, so a hung engine
is killed instead of freezing the kiosk. :class:`EspeakNgEngine` runs espeak-ng's
command line once per utterance, for machines where pyttsx3 misbehaves.
"""

from __future__ import annotations

import contextlib
import json
import queue
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

from kiosk.voice.settings import VoiceSettings

_HOST_SCRIPT = Path(__file__).with_name("engine_host.py")
_START_TIMEOUT = 20.0


class SpeechError(Exception):
    """Base of speech failures; ``str()`` says what went wrong for the maintenance screen."""


class EngineUnavailable(SpeechError):
    """No engine, or no Mandarin voice: the kiosk must stay silent."""


class EngineFault(SpeechError):
    """The engine failed or hung on one utterance; it may work after a restart."""


class SpeechEngine:
    """Writes the WAV for a text. Used from one thread only (the speech worker's)."""

    description = ""
    """Engine and voice, for the maintenance screen: "pyttsx3 espeak, voice sit/cmn"."""

    def synthesise(self, text: str, path: Path, *, rate: int, volume: float) -> None:
        """Write ``text`` spoken at ``rate`` words/min and ``volume`` 0–1 to ``path``."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the engine (end its process)."""


class Pyttsx3Engine(SpeechEngine):
    """pyttsx3 running in ``engine_host.py``; one request at a time, each with a deadline."""

    def __init__(self, *, driver: str | None, voice: str | None, timeout: float) -> None:
        self._timeout = timeout
        argv = [sys.executable, str(_HOST_SCRIPT)]
        if driver:
            argv += ["--driver", driver]
        if voice:
            argv += ["--voice", voice]
        try:
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                encoding="utf-8",
            )
        except OSError as exc:
            raise EngineUnavailable(f"pyttsx3: cannot start engine process: {exc}") from exc
        self._answers: queue.Queue[dict[str, Any] | None] = queue.Queue()
        assert self._proc.stdout is not None
        self._reader = threading.Thread(
            target=self._read, args=(self._proc.stdout,), name="speech-engine-reader", daemon=True
        )
        self._reader.start()
        hello = self._answer(_START_TIMEOUT)
        if hello is None or not hello.get("ok"):
            self.close()
            reason = (hello or {}).get("error", "engine process exited")
            raise EngineUnavailable(f"pyttsx3: {reason}")
        self.driver = str(hello.get("driver", ""))
        self.voice = str(hello.get("voice", ""))
        self.description = f"pyttsx3 {self.driver}, voice {self.voice}"

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            try:
                self._answers.put(json.loads(line))
            except ValueError:
                continue
        self._answers.put(None)  # end of stream: the process is gone

    def _answer(self, timeout: float) -> dict[str, Any] | None:
        try:
            return self._answers.get(timeout=timeout)
        except queue.Empty:
            self.close()
            raise EngineFault(f"pyttsx3 gave no answer within {timeout:g} s: restarted") from None

    @property
    def pid(self) -> int:
        """The engine process id (for the watchdog test and the maintenance log)."""
        return self._proc.pid

    def synthesise(self, text: str, path: Path, *, rate: int, volume: float) -> None:
        request = {"text": text, "path": str(path), "rate": rate, "volume": volume}
        if self._proc.poll() is not None or self._proc.stdin is None:
            raise EngineFault("pyttsx3 engine process is not running")
        try:
            self._proc.stdin.write(json.dumps(request, ensure_ascii=False) + "\n")
            self._proc.stdin.flush()
        except (OSError, ValueError) as exc:
            self.close()
            raise EngineFault(f"pyttsx3 engine process is gone: {exc}") from exc
        # espeak writes about 500 s of speech per second here; the margin is for a loaded box
        answer = self._answer(self._timeout + len(text) / 200)
        if answer is None:
            self.close()
            raise EngineFault("pyttsx3 engine process exited")
        if not answer.get("ok"):
            raise EngineFault(f"pyttsx3: {answer.get('error', 'failed')}")

    def close(self) -> None:
        proc = self._proc
        if proc.poll() is None:
            try:
                if proc.stdin:
                    proc.stdin.write('{"quit": true}\n')
                    proc.stdin.flush()
            except (OSError, ValueError):
                pass
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def _best_espeak_voice(exe: str, timeout: float) -> str:
    try:
        listing = subprocess.run(
            [exe, "--voices=cmn"], capture_output=True, text=True, timeout=timeout, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "cmn"
    return "cmn-latn-pinyin" if "cmn-latn-pinyin" in listing else "cmn"


class EspeakNgEngine(SpeechEngine):
    """``espeak-ng -v cmn -w FILE`` per utterance; the process is killed on timeout."""

    def __init__(self, *, voice: str | None, timeout: float) -> None:
        exe = shutil.which("espeak-ng")
        if exe is None:
            raise EngineUnavailable("espeak-ng is not installed")
        self._exe = exe
        # cmn-latn-pinyin: see engine_host.mandarin_score for why not plain cmn.
        self._voice = voice or _best_espeak_voice(exe, timeout)
        self._timeout = timeout
        try:
            listing = subprocess.run(
                [exe, f"--voices={self._voice}"],
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            ).stdout
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise EngineUnavailable(f"espeak-ng: {exc}") from exc
        if len(listing.strip().splitlines()) < 2:
            raise EngineUnavailable(f"espeak-ng has no voice {self._voice!r}")
        self.description = f"espeak-ng, voice {self._voice}"

    def synthesise(self, text: str, path: Path, *, rate: int, volume: float) -> None:
        argv = [self._exe, "-v", self._voice, "-s", str(rate), "-a", str(round(volume * 100))]
        argv += ["-w", str(path), "--stdin"]
        try:
            done = subprocess.run(
                argv,
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=self._timeout + len(text) / 200,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise EngineFault(f"espeak-ng took longer than {exc.timeout:g} s") from exc
        except OSError as exc:
            raise EngineFault(f"espeak-ng: {exc}") from exc
        if done.returncode != 0 or not path.is_file():
            err = done.stderr.decode("utf-8", "replace").strip()
            raise EngineFault(f"espeak-ng exit {done.returncode}: {err}")


def open_engine(settings: VoiceSettings) -> SpeechEngine:
    """The engine ``settings`` asks for; :class:`EngineUnavailable` says why there is none."""
    if settings.engine == "espeak-ng":
        return EspeakNgEngine(voice=settings.voice, timeout=settings.engine_timeout)
    return Pyttsx3Engine(
        driver=settings.driver, voice=settings.voice, timeout=settings.engine_timeout
    )
