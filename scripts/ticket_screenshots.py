"""PNGs of the ticket screens and the hall display, landscape 1920×1080 and portrait 1080×1920.

Runs a real ``kiosk-server demo`` on loopback and the real kiosk app against it (one Kivy
window), takes a number through the take-number screen, and exports the window after each
tap; then puts the hall display's board in the window with a few calls::

    xvfb-run -a -s "-screen 0 1920x1080x24" \
        .venv/bin/python scripts/ticket_screenshots.py --out screenshots
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

ORIENTATIONS = {"landscape": (1920, 1080), "portrait": (1080, 1920)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    parser.add_argument("--elder", action="store_true", help="elder mode (长辈模式), *-elder.png")
    args = parser.parse_args(argv)
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivy-home-"))
    from devkit.servers import start_server

    work = Path(tempfile.mkdtemp(prefix="ticket-shots-"))
    server = start_server(work / "server")
    try:
        return shoot(args.out, server, work, elder=args.elder)
    finally:
        server.kill()


def shoot(out: Path, server: object, work: Path, *, elder: bool = False) -> int:
    from kiosk.settings import load_settings

    creds = server.credentials  # type: ignore[attr-defined]
    hall_id = sorted(creds["kiosks"])[0]
    settings = load_settings(
        None,
        server_url=server.base_url,  # type: ignore[attr-defined]
        token=creds["kiosks"][hall_id]["token"],
        data_dir=work / "kiosk",
        windowed=True,
        size=(1920, 1080),
        elder_default=elder,
        voice={"audio_out": "none"},
    )
    from kiosk.cli import configure_kivy

    configure_kivy(settings)
    from devkit.kiosk_driver import start_app
    from kiosk.app import KioskApp
    from kiosk.display.board import DisplayBoard
    from kiosk.display.calls import Call
    from kiosk.feed import make_feed
    from kiosk.screens.take_number import open_queues

    app = KioskApp(settings=settings, feed=make_feed(settings))
    drive = start_app(app)
    drive.wait_until(lambda: app.content is not None, timeout=60)
    codes = [q.code for q in open_queues(app.content)]
    drive.wait_until(lambda: all(app.tickets.outbox.numbers_left(c) for c in codes), timeout=60)
    out.mkdir(parents=True, exist_ok=True)
    written = 0

    def export(name: str, widget: object | None = None) -> None:
        nonlocal written
        app.idle.touched()
        drive.settle()
        drive.pump(3)
        target = widget if widget is not None else app.root
        suffix = "-elder" if elder else ""
        target.export_to_png(str(out / f"{name}{suffix}.png"))  # type: ignore[attr-defined]
        written += 1

    for orientation, size in ORIENTATIONS.items():
        drive.resize(*size)
        app.home()
        export(f"{orientation}-t0-home")
        app.open("take_number")
        screen = app.screen("take_number")
        export(f"{orientation}-t1-tiles")
        screen.toggle_priority()
        export(f"{orientation}-t2-priority")
        screen.take(codes[0])
        ticket_screen = app.screen("ticket")
        export(f"{orientation}-t4-ticket-just-taken")
        drive.wait_until(lambda t=ticket_screen: bool(t.url), timeout=60)
        export(f"{orientation}-t5-ticket-confirmed")
        app.home()
        board = DisplayBoard(content=lambda: app.content, hold=60)
        drive.window.add_widget(board)
        board.size = drive.window.size
        board.set_waiting({c: n for n, c in enumerate(codes)})
        windows = sorted({w for q in app.content.queues for w in q.windows})
        for i, w in enumerate(windows):
            board.calls.arrive(Call(f"{codes[i % len(codes)]}{10 + i:03d}", w))
            board.calls._until = 0  # show them all at once for the picture
            board._tick(0)
        time.sleep(0.3)
        export(f"{orientation}-d1-display", board)
        board.stop()
        drive.window.remove_widget(board)
    server.kill()  # type: ignore[attr-defined]
    for orientation, size in ORIENTATIONS.items():
        drive.resize(*size)
        app.home()
        app.open("take_number")
        screen = app.screen("take_number")
        screen.take(codes[-1])
        export(f"{orientation}-t6-ticket-offline")
    print(f"wrote {written} screenshots to {out}/")
    app.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
