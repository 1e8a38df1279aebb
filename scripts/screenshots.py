"""Write a PNG of every kiosk screen, landscape 1920×1080 and portrait 1080×1920.

Runs the real app on the demo content (one hall, ``--hall``) in one Kivy window and
exports the window's root after each navigation::

    make screenshots   # xvfb-run … python scripts/screenshots.py --out screenshots

``--elder`` shoots elder mode (长辈模式: the kiosk starts in it, ``elder_default``) and
names the files ``*-elder.png``; ``make screenshots`` runs both.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

ORIENTATIONS = {"landscape": (1920, 1080), "portrait": (1080, 1920)}


def shots(content: object) -> list[tuple[str, str, dict[str, object]]]:
    """(file stem, screen, params) for every screen with the first item of each list."""
    from kiosk.core.content import HallContent

    assert isinstance(content, HallContent)
    service = content.services[0] if content.services else None
    with_url = next((s for s in content.services if s.online_url), service)
    room = content.rooms[0] if content.rooms else None
    list_: list[tuple[str, str, dict[str, object]]] = [
        ("01-home", "home", {}),
        ("02-categories", "categories", {}),
    ]
    if service is not None:
        list_.append(("03-services", "services", {"category": service.category}))
        list_.append(("04-service", "service", {"service_id": service.id}))
    if with_url is not None and with_url is not service:
        list_.append(("04-service-online", "service", {"service_id": with_url.id}))
    list_.append(("05-staff", "staff", {}))
    list_.append(("06-rooms", "rooms", {}))
    if room is not None:
        list_.append(("07-room", "room", {"room_id": room.id}))
    list_.append(("08-notices", "notices", {}))
    list_.append(("08-notices-disclosure", "notices", {"board": "disclosure"}))
    notices = content.notices
    if notices:
        from kiosk.screens.notices import NoticesScreen  # noqa: F401

        list_.append(("09-notice", "notice", {"notice_id": notices[0].id}))
    list_.append(("10-about", "about", {}))
    list_.append(("11-maintenance", "maintenance", {}))
    return list_


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    parser.add_argument("--hall", default="", help="demo hall id (default: the first)")
    parser.add_argument("--elder", action="store_true", help="elder mode (长辈模式)")
    parser.add_argument("--only", choices=sorted(ORIENTATIONS), help="one orientation only")
    args = parser.parse_args(argv)

    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivy-home-"))
    from kiosk.settings import load_settings

    data = Path(tempfile.mkdtemp(prefix="kiosk-shots-"))
    settings = load_settings(
        None,
        data_dir=data,
        windowed=True,
        size=(1920, 1080),
        demo_hall=args.hall,
        elder_default=args.elder,
        voice={"audio_out": "none"},
    )
    from kiosk.cli import configure_kivy

    configure_kivy(settings)
    from devkit.kiosk_driver import start_app
    from kiosk.app import KioskApp
    from kiosk.feed import DemoFeed

    # elder_default switches the theme before the widgets exist (the app's build does it).
    app = KioskApp(settings=settings, feed=DemoFeed(settings))
    drive = start_app(app)
    app.calling.add_call("A012", 2)
    app.calling.add_call("B003", 4)
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = "-elder" if args.elder else ""
    written = 0
    for orientation, size in ORIENTATIONS.items():
        if args.only and orientation != args.only:
            continue
        drive.resize(*size)
        for stem, screen, params in shots(app.content):
            app.home()
            if screen != "home":
                app.open(screen, **params)
            app.idle.touched()
            app.screen("home").stop_attract()
            drive.settle()
            drive.pump(3)  # real frames: scroll views and textures are finished when drawn
            path = args.out / f"{orientation}-{stem}{suffix}.png"
            app.root.export_to_png(str(path))
            written += 1
    print(f"wrote {written} screenshots to {args.out}/")
    app.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
