"""``make run``: the hall server with the demo data of 姚家街道's seven halls.

Starts ``kiosk-server demo`` (migrates the data folder, loads the demo halls into an
empty database, ensures a kiosk token per hall and the demo staff logins), waits until it
answers, prints where to look, and keeps it running until Ctrl+C. The kiosk app is
added to this script by the kiosk issue.
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO / "data")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
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
    )
    try:
        if not wait_for_health(base_url, server):
            print("kiosk-server did not start; see its output above", file=sys.stderr)
            return 1
        creds = json.loads((data_dir / "demo-credentials.json").read_text("utf-8"))
        first_hall, first_kiosk = next(iter(creds["kiosks"].items()))
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
        print(f"  (first hall: {first_hall})  Press Ctrl+C to stop.")
        print(flush=True)
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    sys.exit(main())
