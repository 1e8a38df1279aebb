"""The child process that owns the pyttsx3 engine: one thread, one engine, WAVs out.

Run as a script by :class:`kiosk.voice.engine.Pyttsx3Engine` (never imported by the app's
threads): ``python engine_host.py [--driver NAME] [--voice ID]``. It reads one JSON request
per line on stdin, ``{"text", "path", "rate", "volume"}``, writes the WAV with
``save_to_file`` and answers ``{"ok": true}`` or ``{"ok": false, "error": ...}`` on its
original stdout. The first line it writes says whether it is ready and with which voice.

Why a process: pyttsx3 2.9x's espeak driver keeps module-wide state (espeak is initialised
once per process, its one synth callback belongs to the last engine built), runs its
callbacks on espeak's own thread, returns from ``runAndWait`` before a long WAV is written,
prints to stdout, and plays through ``aplay`` inside that callback where nothing can
interrupt it. In a child process none of that can freeze or corrupt the kiosk: a hung
engine is killed and started again. This module imports only the stdlib and pyttsx3.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import threading
from collections.abc import Iterable
from typing import Any, TextIO

_MANDARIN_IDS = ("cmn", "zh-cn", "zh_cn", "zh-hans", "zh", "chinese")
_NOT_MANDARIN = ("yue", "zh-hk", "zh-tw", "zh_hk", "zh_tw", "cantonese", "hak", "nan")


def _langs(voice: Any) -> list[str]:
    out = []
    for lang in getattr(voice, "languages", None) or []:
        if isinstance(lang, bytes):
            lang = lang.decode("utf-8", "ignore")
        out.append(str(lang).strip("\x00\x05 ").lower())
    return out


def mandarin_score(voice_id: str, name: str, languages: Iterable[str]) -> int:
    """How good a Mandarin voice this is: 0 not Mandarin, 4 best.

    espeak-ng's plain ``cmn`` voice (1.51, Debian 12) looks each hanzi up as pinyin and
    then reads that pinyin with English rules ("请" comes out as "king three");
    ``cmn-latn-pinyin`` reads the same pinyin as Mandarin, so it is preferred.
    """
    vid, vname, langs = voice_id.lower(), name.lower(), [lang.lower() for lang in languages]
    words = [vid, vname, *langs]
    if any(bad in word for word in words for bad in _NOT_MANDARIN):
        return 0
    if "cmn-latn-pinyin" in langs or vid.endswith("cmn-latn-pinyin"):
        return 4
    if "cmn" in langs or vid.endswith("/cmn") or vid == "cmn":
        return 3
    if any(lang.replace("_", "-") in ("zh-cn", "zh-hans", "zh-hans-cn") for lang in langs):
        return 3
    if "huihui" in vname or "yaoyao" in vname or "kangkang" in vname or "ting-ting" in vname:
        return 3  # SAPI / macOS Mandarin voices
    if any(lang.startswith(("cmn", "zh")) for lang in langs):
        return 2
    if any(key in vid or key in vname for key in _MANDARIN_IDS):
        return 1
    return 0


def pick_voice(voices: Iterable[Any], wanted: str | None) -> Any | None:
    """``wanted`` by exact id or name, else the best Mandarin voice, else None."""
    voices = list(voices)
    if wanted:
        for voice in voices:
            if wanted in (voice.id, getattr(voice, "name", None)):
                return voice
        return None
    scored = [
        (mandarin_score(str(v.id), str(getattr(v, "name", "") or ""), _langs(v)), i, v)
        for i, v in enumerate(voices)
    ]
    scored = [s for s in scored if s[0] > 0]
    if not scored:
        return None
    scored.sort(key=lambda s: (-s[0], s[1]))
    return scored[0][2]


def _send(out: TextIO, message: dict[str, Any]) -> None:
    out.write(json.dumps(message, ensure_ascii=False) + "\n")
    out.flush()


def serve(driver: str | None, wanted: str | None, out: TextIO) -> int:
    try:
        import pyttsx3  # type: ignore[import-untyped,unused-ignore]

        engine = pyttsx3.init(driver) if driver else pyttsx3.init()
        voices = engine.getProperty("voices") or []
    except Exception as exc:  # any driver failure means: no engine here
        _send(out, {"ok": False, "error": f"pyttsx3 {driver or 'default'}: {exc!r}"})
        return 1
    voice = pick_voice(voices, wanted)
    if voice is None:
        what = f"voice {wanted!r} not found" if wanted else "no Mandarin voice installed"
        _send(out, {"ok": False, "error": what, "voices": len(voices)})
        return 1
    engine.setProperty("voice", voice.id)
    finished = threading.Event()
    engine.connect("finished-utterance", lambda **_kw: finished.set())
    # espeak: runAndWait returns when synthesis *starts*; the WAV is written on espeak's
    # thread just before finished-utterance. Other drivers write it inside runAndWait.
    driver_name = str(getattr(engine, "driver_name", driver or ""))
    async_driver = driver_name == "espeak"
    _send(
        out,
        {
            "ok": True,
            "ready": True,
            "driver": driver_name,
            "voice": str(voice.id),
            "voice_name": str(getattr(voice, "name", "") or voice.id),
        },
    )
    for line in sys.stdin:
        try:
            request = json.loads(line)
        except ValueError:
            _send(out, {"ok": False, "error": "bad request line"})
            continue
        if request.get("quit"):
            break
        text, path = str(request["text"]), str(request["path"])
        try:
            engine.setProperty("rate", int(request["rate"]))
            engine.setProperty("volume", float(request["volume"]))
            finished.clear()
            engine.save_to_file(text, path)
            engine.runAndWait()
            if async_driver:
                finished.wait()  # the parent's timeout is the watchdog
            if not os.path.isfile(path) or os.path.getsize(path) <= 44:
                _send(out, {"ok": False, "error": "the engine wrote no audio"})
                continue
        except Exception as exc:
            _send(out, {"ok": False, "error": repr(exc)})
            continue
        _send(out, {"ok": True})
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--driver")
    parser.add_argument("--voice")
    args = parser.parse_args(argv)
    # pyttsx3 prints ("Audio saved to ...") on stdout: keep the protocol on a private fd.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(encoding="utf-8")
    return serve(args.driver, args.voice, out)


if __name__ == "__main__":
    sys.exit(main())
