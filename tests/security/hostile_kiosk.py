"""Child process of test_hostile_content.py: start the REAL kiosk (or hall display) app
offline from a content cache, walk every screen, and write what it saw as JSON.

    python tests/security/hostile_kiosk.py --data DIR --mode kiosk --out seen.json \
        [--shots DIR] [--quick]

A Kivy window can be made once per process, and the point is the app's own start from
its cache (the way a restarted hall PC starts), so each run is its own process. A crash
anywhere (start, a screen, a frame) ends the process with a traceback and no JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
os.environ.setdefault("KIVY_NO_FILELOG", "1")
os.environ.setdefault("KIVY_NO_CONFIG", "1")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivy-home-"))


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _texts(widget: Any) -> list[str]:
    from kivy.uix.label import Label

    out = []
    stack = [widget]
    while stack:
        w = stack.pop()
        if isinstance(w, Label) and w.text:
            out.append(w.text)
        stack.extend(w.children)
    return out


def _visits(content: Any, now: Any) -> list[tuple[str, dict[str, Any]]]:
    """Every screen; the detail screens with every room and notice and the first three
    services (where the hostile values are; all 25 would take minutes of software GL)."""
    out: list[tuple[str, dict[str, Any]]] = [("home", {}), ("categories", {})]
    for category in sorted({s.category for s in content.services}):
        out.append(("services", {"category": category}))
    out += [("service", {"service_id": s.id}) for s in content.services[:3]]
    out += [("staff", {}), ("rooms", {})]
    out += [("room", {"room_id": r.id}) for r in content.rooms]
    out += [("notices", {"board": "publicity"}), ("notices", {"board": "disclosure"})]
    out += [("notice", {"notice_id": n.id}) for n in content.published_notices(now)]
    out += [("about", {}), ("take_number", {}), ("maintenance", {})]
    return out


def walk_kiosk(settings: Any, shots: Path | None, *, quick: bool = False) -> dict[str, Any]:
    from devkit.kiosk_driver import start_app
    from kiosk.app import KioskApp
    from kiosk.feed import make_feed
    from kiosk.theme import theme

    app = KioskApp(settings=settings, feed=make_feed(settings))
    drive = start_app(app)
    app.idle.idle_seconds = 10**6  # a slow walk (software GL) is not a resident walking away
    drive.pump(3)
    seen: dict[str, Any] = {"version": app.content_version, "screens": {}, "hall": ""}
    if app.content is None:
        seen["content"] = False
        return seen
    seen["content"] = True
    seen["hall"] = app.content.hall.name
    passes = [("landscape", (1920, 1080), False), ("portrait-elder", (1080, 1920), True)]
    if quick:
        passes = passes[:1]
    for label, size, elder in passes:
        drive.resize(*size)
        theme.elder = elder
        drive.settle(20)
        for name, params in _visits(app.content, app.now()):
            if elder and name in _DETAILS and params != _first(app.content, name):
                continue  # elder mode: every list, one item of each detail screen
            if name == "home":
                app.home()
            else:
                app.open(name, **params)
            drive.settle(20)
            drive.pump(2)  # real frames: every label's texture is made
            if name == "take_number":
                _take_a_number(app, drive)
            if name == "maintenance":
                _unlock(app, drive)
            key = f"{label}:{name}:{json.dumps(params, sort_keys=True)}"
            screen = app.screen(app.current_name)
            seen["screens"][key] = {
                "shown": app.current_name,
                "heading": screen.heading,
                "texts": _texts(screen),
            }
            if shots is not None and label == "landscape" and name in _SHOOT:
                shots.mkdir(parents=True, exist_ok=True)
                app.root.export_to_png(str(shots / f"{name}-{params.get('board', '')}.png"))
    theme.elder = False
    drive.settle()
    seen["not_shown"] = list(app.not_shown_lines)
    seen["left_out"] = list(app.sync_status.left_out) if app.sync_status else []
    app.feed.stop()
    app.stop()
    return seen


_DETAILS = {"service", "room", "notice"}


def _first(content: Any, name: str) -> dict[str, Any]:
    if name == "service":
        return {"service_id": content.services[0].id}
    if name == "room":
        return {"room_id": content.rooms[0].id}
    return {"notice_id": content.notices[0].id}


_SHOOT = {"staff", "notices", "rooms", "room", "maintenance", "home", "about", "service"}


def _take_a_number(app: Any, drive: Any) -> None:
    """Every queue tile built; the first one tapped: its ticket (the tile issues at once)."""
    screen = app.screen("take_number")
    buttons = [b for b in screen.ids.choices.children if hasattr(b, "queue_code")]
    if not buttons:
        return
    # Children are newest first: the hall's first queue. Its tile is taken as a tap would
    # (a 10 KB name makes the tile taller than the screen, so its middle is off screen).
    screen.take(buttons[-1].queue_code)
    drive.settle(10)
    drive.pump(2)


def _unlock(app: Any, drive: Any) -> None:
    screen = app.screen("maintenance")
    for key in app.settings.maintenance_pin:
        screen.press(key)
    screen.press("ok")
    drive.settle(10)
    drive.pump(2)


def walk_display(settings: Any, shots: Path | None) -> dict[str, Any]:
    from devkit.kiosk_driver import start_app
    from kiosk.core.wire import EventPublic
    from kiosk.display.app import DisplayApp
    from kiosk.feed import make_feed
    from kiosk.voice import SilentSpeaker

    app = DisplayApp(settings=settings, feed=make_feed(settings), speaker=SilentSpeaker())
    drive = start_app(app)
    drive.pump(3)
    content = app.content
    seen: dict[str, Any] = {"content": content is not None, "screens": {}}
    if content is None:
        return seen
    queue = content.queues[0].code if content.queues else "A"
    event = EventPublic.model_validate(
        {
            "seq": 1,
            "type": "call",
            "hall_id": content.hall.id,
            "at": "2100-12-31T23:59:59+00:00",
            "data": {"number": f"{queue}999", "queue": queue, "window": 99, "recall": False},
        }
    )
    app.apply_event(event)
    app.board.set_waiting({q.code: 10**6 for q in content.queues})
    for size in ((1920, 1080), (1080, 1920)):
        drive.resize(*size)
        drive.settle(20)
        drive.pump(3)
        seen["screens"][f"{size[0]}x{size[1]}"] = {"texts": _texts(app.board)}
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
        app.root.export_to_png(str(shots / "display.png"))
    app.stop()
    return seen


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--mode", choices=["kiosk", "display"], default="kiosk")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--shots", type=Path)
    parser.add_argument("--quick", action="store_true", help="landscape only, no elder mode")
    args = parser.parse_args()
    from kiosk.cli import configure_kivy
    from kiosk.settings import load_settings

    configure_kivy(load_settings(None, windowed=True, size=(1920, 1080)))
    settings = load_settings(
        None,
        server_url=f"http://127.0.0.1:{_closed_port()}",  # offline: nothing listens
        token="test-device-token",
        data_dir=args.data,
        windowed=True,
        size=(1920, 1080),
        mode=args.mode,
        voice={"audio_out": "none"},
    )
    if args.mode == "kiosk":
        seen = walk_kiosk(settings, args.shots, quick=args.quick)
    else:
        seen = walk_display(settings, args.shots)
    args.out.write_text(json.dumps(seen, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
