"""``make run``: the hall server with the demo data of 姚家街道's seven halls.

Starts ``kiosk-server demo`` (migrates the data folder, loads the demo halls into an
empty database, ensures a kiosk token per hall and the demo staff logins), waits until it
answers, starts one kiosk app connected to it (the first hall's device token), prints
where to look, and keeps both running until Ctrl+C.

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
from pathlib import Path

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
        how = (
            f"on the virtual display :{number} (no display here); look at it with\n"
            f"                      import -window root -display :{number} kiosk.png"
            "   (or: make screenshots)"
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
        first_hall, first_kiosk = next(iter(creds["kiosks"].items()))
        how = ""
        if not args.no_kiosk:
            kiosk, xvfb, how = start_kiosk(
                base_url, first_kiosk["token"], data_dir, fullscreen=args.fullscreen
            )
        print()
        print("居民之家 demo is running:")
        print(f"  API documentation   {base_url}/docs")
        print(
            f"  staff admin web     {base_url}/admin/  ({creds['admin']['username']} / "
            f"{creds['admin']['password']})"
        )
        print(
            f"  a kiosk's snapshot  curl -H 'Authorization: Bearer {first_kiosk['token']}' "
            f"{base_url}/api/v1/kiosk/content"
        )
        print(f"  every login/token   {data_dir / 'demo-credentials.json'}")
        if kiosk is not None:
            print(f"  the kiosk ({first_hall})  runs {how}")
        print(f"  (first hall: {first_hall})  Press Ctrl+C to stop.")
        print(flush=True)
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
