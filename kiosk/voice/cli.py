"""``kiosk say TEXT --out FILE.wav``: preview an announcement as the kiosk would speak it."""

from __future__ import annotations

import argparse
import sys
import wave
from collections.abc import Sequence
from pathlib import Path

from kiosk.voice.engine import SpeechError
from kiosk.voice.render import render_to_wav
from kiosk.voice.settings import ENGINES, MAX_RATE, MIN_RATE, VoiceSettings


def _rate(value: str) -> int:
    rate = int(value)
    if not MIN_RATE <= rate <= MAX_RATE:
        raise argparse.ArgumentTypeError(f"rate must be {MIN_RATE}–{MAX_RATE} words/min")
    return rate


def _volume(value: str) -> float:
    volume = float(value)
    if not 0.0 <= volume <= 1.0:
        raise argparse.ArgumentTypeError("volume must be between 0 and 1")
    return volume


def build_parser(prog: str = "kiosk say") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Render TEXT to a WAV through the kiosk's speech engine and normaliser.",
    )
    parser.add_argument(
        "text", metavar="TEXT", help="what to say, e.g. '请 A012 号到 2 号窗口办理'"
    )
    parser.add_argument("--out", "-o", required=True, type=Path, help="WAV file to write")
    parser.add_argument("--call", action="store_true", help="as a call: chime, then twice")
    parser.add_argument("--slow", action="store_true", help="elder mode's slower speech")
    parser.add_argument("--rate", type=_rate, help="words per minute (default 160)")
    parser.add_argument("--volume", type=_volume, default=1.0, help="0–1 (default 1)")
    parser.add_argument("--engine", choices=ENGINES, default="pyttsx3")
    parser.add_argument("--driver", help="pyttsx3 driver (espeak, sapi5); default: platform's")
    parser.add_argument("--voice", help="exact voice id; default: the first Mandarin voice")
    return parser


def say_main(argv: Sequence[str] | None = None, *, prog: str = "kiosk say") -> int:
    """Entry point of ``kiosk say``; returns the exit status (0 written, 1 failed, 2 usage)."""
    args = build_parser(prog).parse_args(argv)
    settings = VoiceSettings(
        engine=args.engine,
        driver=args.driver,
        voice=args.voice,
        volume=args.volume,
        slow=args.slow,
    )
    try:
        out = render_to_wav(
            args.text,
            args.out,
            rate=args.rate,
            kind="call" if args.call else "prompt",
            settings=settings,
        )
    except (SpeechError, ValueError, OSError) as exc:
        print(f"kiosk say: {exc}", file=sys.stderr)
        return 1
    with wave.open(str(out), "rb") as wav:
        seconds = wav.getnframes() / wav.getframerate()
    print(f"{out}: {seconds:.1f} s")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kiosk.voice say ...``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] != "say":
        print("usage: python -m kiosk.voice say TEXT --out FILE.wav", file=sys.stderr)
        return 2
    return say_main(args[1:], prog="python -m kiosk.voice say")
