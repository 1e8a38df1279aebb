"""The ``kiosk`` command: start the touchscreen app (``kiosk --server URL --token T``).

Kivy is configured here, before any Kivy window exists: fullscreen, borderless, no
cursor, Escape does not quit (``--windowed`` turns all of that off for development).
``kiosk say TEXT --out FILE.wav`` renders speech through the kiosk's engine and
normaliser instead (see :mod:`kiosk.voice.cli`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from kiosk import __version__
from kiosk.settings import KioskSettings, SettingsError, load_settings

__all__ = ["build_parser", "configure_kivy", "main"]

DEFAULT_CONFIG = Path("config/kiosk.toml")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk", description="居民之家 hall kiosk (fullscreen touchscreen app)"
    )
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    parser.add_argument(
        "--config", type=Path, help="settings file (TOML); default config/kiosk.toml if present"
    )
    parser.add_argument("--server", dest="server_url", help="hall server base URL")
    parser.add_argument("--token", help="this kiosk's device token")
    parser.add_argument("--data-dir", type=Path, help="content cache and outbox folder")
    parser.add_argument("--orientation", choices=["auto", "landscape", "portrait"])
    parser.add_argument("--size", help="window size WxH, e.g. 1080x1920 (with --windowed)")
    parser.add_argument("--idle-seconds", type=float, help="quiet time before going home")
    parser.add_argument("--demo-hall", help="with no server: which demo hall to show")
    parser.add_argument(
        "--mode",
        choices=["kiosk", "display", "rating"],
        help="kiosk (touch), display (call board) or rating (a window's rating device)",
    )
    parser.add_argument(
        "--counter", type=int, help="with --mode rating: the counter id the device faces"
    )
    parser.add_argument(
        "--windowed",
        action="store_true",
        default=None,
        help="development: a normal window, cursor shown, Escape and close work",
    )
    parser.epilog = "kiosk say TEXT --out FILE.wav [--call] [--slow]: preview speech as a WAV"
    return parser


def settings_from_args(args: argparse.Namespace) -> KioskSettings:
    config = args.config
    if config is None and DEFAULT_CONFIG.is_file():
        config = DEFAULT_CONFIG
    return load_settings(
        config,
        server_url=args.server_url,
        token=args.token,
        data_dir=args.data_dir,
        orientation=args.orientation,
        size=args.size,
        idle_seconds=args.idle_seconds,
        demo_hall=args.demo_hall,
        mode=args.mode,
        counter=args.counter,
        windowed=args.windowed,
    )


def configure_kivy(settings: KioskSettings) -> None:
    """Set Kivy's window and input options; must run before a Kivy window exists."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kivy.config import Config

    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "pause_on_minimize", "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("graphics", "resizable", "1" if settings.windowed else "0")
    # No multisampling: it doubles the cost of every frame in software GL (Mesa llvmpipe,
    # measured in bench/kiosk_startup_bench.py) and adds ~60 MB, for edges that look the
    # same on the flat shapes the kiosk draws.
    Config.set("graphics", "multisamples", "0")
    if settings.windowed:
        width, height = settings.window_size()
        Config.set("graphics", "fullscreen", "0")
        Config.set("graphics", "borderless", "0")
        Config.set("graphics", "show_cursor", "1")
        Config.set("graphics", "width", str(width))
        Config.set("graphics", "height", str(height))
    else:
        # The window is made at the display's size: its first frame is laid out for the
        # whole screen, not in SDL's 800×600 (see kiosk/fullscreen.py).
        from kiosk.fullscreen import display_size, window_manager_running

        size = display_size()
        bare = size is not None and window_manager_running() is False
        Config.set("graphics", "fullscreen", "0" if bare else "auto")
        Config.set("graphics", "borderless", "1")
        Config.set("graphics", "show_cursor", "0")
        if size is not None:
            Config.set("graphics", "width", str(size[0]))
            Config.set("graphics", "height", str(size[1]))
        if bare:
            Config.set("graphics", "position", "custom")
            Config.set("graphics", "left", "0")
            Config.set("graphics", "top", "0")


def run_app(settings: KioskSettings) -> int:
    configure_kivy(settings)
    from kiosk.feed import make_feed
    from kiosk.watchdog import SystemdWatchdog

    app: Any
    if settings.mode == "display":
        from kiosk.display.app import DisplayApp

        app = DisplayApp(settings=settings, feed=make_feed(settings))
    elif settings.mode == "rating":
        from kiosk.rating.app import RatingApp

        app = RatingApp(settings=settings, feed=make_feed(settings))
    else:
        from kiosk.app import KioskApp

        app = KioskApp(settings=settings, feed=make_feed(settings))
    watchdog = SystemdWatchdog(settings.mode)  # held here: Kivy binds methods weakly
    watchdog.attach(app)
    app.run()
    return int(getattr(app, "exit_code", 0))  # 75: restart asked from the fleet page


def main(argv: list[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["say"]:
        from kiosk.voice.cli import say_main

        return say_main(args_list[1:])
    parser = build_parser()
    args = parser.parse_args(args_list)
    try:
        settings = settings_from_args(args)
    except SettingsError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2
    return run_app(settings)


if __name__ == "__main__":
    raise SystemExit(main())
