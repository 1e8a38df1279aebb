"""``make run``: the hall server with the demo data of 姚家街道's seven halls.

Starts ``kiosk-server demo`` (migrates the data folder, loads the demo halls into an
empty database, ensures a kiosk token per hall and the demo staff logins), waits until it
answers, starts one kiosk app connected to it (名士豪庭's device token, the hall of the README's
screenshots), takes one ticket for its phone page, prints one banner with everything a
newcomer needs, and keeps both running until Ctrl+C.

On a desktop the kiosk opens in a window (``--fullscreen``: as in the hall). With no
display it runs fullscreen on a virtual one (Xvfb) and says how to look at it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from kiosk.core.clock import child_env

REPO = Path(__file__).resolve().parents[1]


def wait_for_health(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{url}/api/v1/health", timeout=2) as answer,
        ):
            if answer.status == 200:
                return True
        time.sleep(0.2)
    return False


def start_kiosk(
    base_url: str, token: str, data_dir: Path, *, fullscreen: bool
) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes] | None, str]:
    """The kiosk app as a child process; on a machine without a display, on Xvfb."""
    env = child_env()  # KIOSK_CLOCK_AT: the same "now" as the server
    env.setdefault("KIVY_NO_CONSOLELOG", "1")  # the server's log stays readable
    xvfb = None
    size = "1280x720"
    how = "in its own window" if not fullscreen else "fullscreen (leave: maintenance screen)"
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        number = next(n for n in range(99, 200) if not Path(f"/tmp/.X11-unix/X{n}").exists())
        xvfb = subprocess.Popen(
            ["Xvfb", f":{number}", "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{number}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        env["DISPLAY"] = f":{number}"
        # A screen-sized window: without a window manager, SDL's desktop fullscreen
        # would keep the X window at its first size (800×600).
        fullscreen = False
        size = "1920x1080"
        python = Path(sys.executable)
        shown = python.relative_to(REPO) if _inside(sys.executable) else python
        how = (
            f"on the virtual display :{number} (this machine has no screen); see it with\n"
            f"{'':22}{shown} scripts/screenshot_display.py :{number} kiosk.png"
        )
    cmd = [
        sys.executable,
        "-m",
        "kiosk",
        "--server",
        base_url,
        "--token",
        token,
        "--data-dir",
        str(data_dir / "kiosk"),
    ]
    if not fullscreen:
        cmd += ["--windowed", "--size", size]
    return subprocess.Popen(cmd, cwd=REPO, env=env), xvfb, how


#: The hall ``make run``'s kiosk shows (the README's screenshots are of it).
SHOWN_HALL = "mingshi-haoting"


def _inside(path: str) -> bool:
    try:
        Path(path).relative_to(REPO)
    except ValueError:
        return False
    return True


def hall_name(hall_id: str) -> str:
    """The hall's short name from the demo content (its id if that cannot be read)."""
    try:
        data = json.loads((REPO / "config" / "demo" / "halls" / f"{hall_id}.json").read_text())
        return str(data["hall"]["short_name"])
    except (OSError, ValueError, KeyError, TypeError):
        return hall_id


def first_ticket(base_url: str, token: str) -> dict[str, Any] | None:
    """A ticket in the shown hall's first queue, as its kiosk would take it (for its phone
    page); None if the server would not issue one."""
    auth = {"Authorization": f"Bearer {token}"}
    try:
        queues = _json(urllib.request.Request(f"{base_url}/api/v1/kiosk/queues", headers=auth))
        code = queues["queues"][0]["queue"]
        body = json.dumps({"queue": code}).encode()
        headers = {**auth, "Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex}
        ticket = _json(urllib.request.Request(f"{base_url}/api/v1/tickets", body, headers))
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None
    return ticket if isinstance(ticket, dict) and "url" in ticket else None


def _json(request: urllib.request.Request) -> Any:
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def banner(base_url: str, creds: dict[str, Any], hall_id: str, how: str, data_dir: Path) -> str:
    """Everything a newcomer needs, in one place."""
    name = hall_name(hall_id)
    admin = creds["admin"]
    staff = creds["staff"].get(hall_id, {})
    ticket = first_ticket(base_url, creds["kiosks"][hall_id]["token"])
    if ticket is not None:
        phone = f"{ticket['url']}  (ticket {ticket['number']}, taken now)"
    else:
        phone = f"{base_url}/t/<id>: take a number on the kiosk (取号) and scan its QR code"
    lines = [
        "",
        f"居民之家 demo is running ({name}'s hall; all seven halls on the server):",
        f"  the kiosk ({name})   {how or 'not started (--no-kiosk)'}",
        f"  admin web           {base_url}/admin/",
        f"    district admin    {admin['username']} / {admin['password']}",
        f"    {name} staff     {staff.get('username', '?')} / {staff.get('password', '?')}"
        "   (counter console, its hall's content)",
        f"  a ticket's phone    {phone}",
        f"  API docs            {base_url}/docs",
        f"  every login/token   {data_dir / 'demo-credentials.json'}",
        "  Press Ctrl+C to stop.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO / "data")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-kiosk", action="store_true", help="only the server")
    parser.add_argument("--fullscreen", action="store_true", help="the kiosk as in the hall")
    args = parser.parse_args()
    data_dir = args.data_dir.resolve()
    base_url = f"http://{'127.0.0.1' if args.host == '0.0.0.0' else args.host}:{args.port}"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kiosk.server.cli",
            "demo",
            "--data-dir",
            str(data_dir),
            "--host",
            args.host,
            "--port",
            str(args.port),
            "--no-banner",  # this script prints the one banner, with the kiosk in it
        ],
        cwd=REPO,
        env=child_env(),
    )
    kiosk: subprocess.Popen[bytes] | None = None
    xvfb: subprocess.Popen[bytes] | None = None
    try:
        if not wait_for_health(base_url, server):
            print("kiosk-server did not start; see its output above", file=sys.stderr)
            return 1
        creds = json.loads((data_dir / "demo-credentials.json").read_text("utf-8"))
        hall_id = SHOWN_HALL if SHOWN_HALL in creds["kiosks"] else next(iter(creds["kiosks"]))
        kiosk_token = creds["kiosks"][hall_id]["token"]
        how = ""
        if not args.no_kiosk:
            kiosk, xvfb, how = start_kiosk(
                base_url, kiosk_token, data_dir, fullscreen=args.fullscreen
            )
        print(banner(base_url, creds, hall_id, how, data_dir), flush=True)
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for child in (kiosk, xvfb):
            if child is not None and child.poll() is None:
                child.terminate()
                try:
                    child.wait(10)
                except subprocess.TimeoutExpired:
                    child.kill()
        if server.poll() is None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    sys.exit(main())
