"""PNGs of the request screens (我要反映, 办事进度, 办理公开), landscape 1920×1080 and
portrait 1080×1920, normal or (``--elder``) elder mode.

Runs a real ``kiosk-server demo`` on loopback and the real kiosk app against it, goes
through 我要反映 step by step with the screen's own actions, and exports the window at
each step::

    xvfb-run -a -s "-screen 0 1920x1080x24" \
        .venv/bin/python scripts/request_screenshots.py --out screenshots [--elder]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
from pathlib import Path

ORIENTATIONS = {"landscape": (1920, 1080), "portrait": (1080, 1920)}

#: 办理公开 as a server answers it (contract §1), for a kiosk whose server has no
#: requests yet: the screen then shows the real layout.
SAMPLE_BOARD = {
    "month": "2026-12",
    "received": 42,
    "closed": 35,
    "closed_on_time": 33,
    "satisfaction_pct": 96.0,
    "by_category": [
        {"category_label": "报修", "received": 18, "closed": 16, "closed_on_time": 15},
        {"category_label": "求助", "received": 9, "closed": 8, "closed_on_time": 8},
        {"category_label": "投诉建议", "received": 8, "closed": 6, "closed_on_time": 5},
        {"category_label": "咨询", "received": 7, "closed": 5, "closed_on_time": 5},
    ],
    "latest": [
        {"category_label": label, "summary": summary, "closed_on": day}
        for label, summary, day in (
            ("报修", "3 号楼楼道灯已更换", "2026-12-02"),
            ("求助", "为独居老人联系了助餐服务", "2026-12-01"),
            ("投诉建议", "小区东门增设非机动车停放点", "2026-11-30"),
        )
    ],
    "ratings": None,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    parser.add_argument("--elder", action="store_true", help="elder mode (长辈模式), *-elder.png")
    args = parser.parse_args(argv)
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivy-home-"))
    from devkit.servers import start_server

    work = Path(tempfile.mkdtemp(prefix="request-shots-"))
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
    from kiosk.feed import make_feed

    app = KioskApp(settings=settings, feed=make_feed(settings))
    drive = start_app(app)
    drive.wait_until(lambda: app.content is not None, timeout=60)
    out.mkdir(parents=True, exist_ok=True)
    written = 0

    def export(name: str) -> None:
        nonlocal written
        app.idle.touched()
        drive.settle()
        drive.pump(3)
        suffix = "-elder" if elder else ""
        app.root.export_to_png(str(out / f"{name}{suffix}.png"))
        written += 1

    for orientation, size in ORIENTATIONS.items():
        drive.resize(*size)
        app.home()
        export(f"{orientation}-r0-home")
        app.open("report")
        report = app.screen("report")
        export(f"{orientation}-r1-categories")
        repair = next(c for c in app.requests.categories() if c.id == "repair")
        report.choose(repair)
        for phrase in repair.phrases[:2]:
            report.picked.append(phrase)
        report.go("phrases", speak=False)
        export(f"{orientation}-r2-phrases")
        report.phrases_done()
        for key in "3-2-501":
            report.location_key(key)
        export(f"{orientation}-r3-location")
        report.location_done()
        for key in "13812341234":
            report.phone_key(key)
        export(f"{orientation}-r4-phone")
        report.phone_done()
        export(f"{orientation}-r5-summary")
        report.submit()
        export(f"{orientation}-r6-receipt")
        code = report.request.query_code
        app.home()
        app.open("progress")
        progress = app.screen("progress")
        for key in code:
            progress.key(key)
        export(f"{orientation}-p1-code")
        progress.look_up()
        drive.wait_until(lambda p=progress: not p.busy, timeout=30)
        export(f"{orientation}-p2-result")
        app.home()
        app.requests.outbox.keep_board(SAMPLE_BOARD, dt.datetime.now(dt.UTC))
        app.open("openness")
        export(f"{orientation}-o1-openness")
    print(f"wrote {written} screenshots to {out}/")
    app.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
