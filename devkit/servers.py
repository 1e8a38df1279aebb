"""Start a real ``kiosk-server`` (uvicorn) as a subprocess on a free loopback port.

``start_server(data_dir, database_url=None, port=None, extra_env=None, workers=1,
demo_data=True)`` runs ``kiosk-server demo`` (migrate, demo halls, demo logins written to
``data_dir/demo-credentials.json``), waits until ``GET /api/v1/health`` answers, and
returns a :class:`RunningServer`. ``stop()`` sends SIGTERM then SIGKILL; ``kill()`` is
SIGKILL at once (crash tests); ``restart()`` starts it again on the same port and data.
The server's output goes to ``data_dir/server.log`` (shown when it fails to start).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

__all__ = ["RunningServer", "ServerFailed", "free_port", "run_cli", "start_server"]

REPO = Path(__file__).resolve().parents[1]


class ServerFailed(RuntimeError):
    """The server did not come up (its log is in the message)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli() -> list[str]:
    return [sys.executable, "-m", "kiosk.server.cli"]


def run_cli(
    *args: str,
    data_dir: Path,
    database_url: str | None = None,
    stdin: str | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run ``kiosk-server ARGS --data-dir DATA_DIR [--database-url URL]``; raises on failure."""
    cmd = [*_cli(), *args, "--data-dir", str(data_dir)]
    if database_url:
        cmd += ["--database-url", database_url]
    env = {**os.environ, "KIOSK_SERVER_DEMO_MODE": "true"}
    done = subprocess.run(
        cmd, input=stdin, capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done


@dataclass
class RunningServer:
    base_url: str  # http://127.0.0.1:PORT
    process: subprocess.Popen[bytes]
    data_dir: Path
    port: int
    database_url: str | None
    #: Parsed ``demo-credentials.json``: base_url, api_base, admin {username, password},
    #: staff {hall_id: {username, password}}, kiosks {hall_id: {device_id, kiosk_no, token}}.
    credentials: dict[str, Any]
    _args: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def api(self) -> str:
        return f"{self.base_url}/api/v1"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    def log(self) -> str:
        try:
            return self.log_path.read_text("utf-8", "replace")
        except OSError:
            return ""

    def stop(self, timeout: float = 15) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)

    def kill(self) -> None:
        """SIGKILL the whole process group (workers too): a crash, not a shutdown."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(15)

    def restart(self) -> RunningServer:
        self.stop()
        return start_server(self.data_dir, **self._args, port=self.port)


def start_server(
    data_dir: Path,
    *,
    database_url: str | None = None,
    port: int | None = None,
    extra_env: dict[str, str] | None = None,
    workers: int = 1,
    demo_data: bool = True,
    timeout: float = 90,
) -> RunningServer:
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    cmd = [
        *_cli(),
        "demo",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        "--workers",
        str(workers),
    ]
    if database_url:
        cmd += ["--database-url", database_url]
    if not demo_data:
        cmd.append("--no-demo-data")
    env = {**os.environ, **(extra_env or {})}
    env.setdefault("PYTHONUNBUFFERED", "1")
    # Tests and benches of other things issue far more tickets per kiosk token than a hall
    # ever would; the kiosk limits themselves are tested with their defaults (tests/security).
    env.setdefault("KIOSK_SERVER_KIOSK_TICKET_BURST", "1000000")
    env.setdefault("KIOSK_SERVER_KIOSK_TICKETS_PER_MINUTE", "1000000")
    env.setdefault("KIOSK_SERVER_KIOSK_NUMBERS_PER_QUEUE_DAY", "999")
    log = (data_dir / "server.log").open("ab")
    process = subprocess.Popen(
        cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO, start_new_session=True
    )
    log.close()
    base_url = f"http://127.0.0.1:{port}"
    server = RunningServer(
        base_url=base_url,
        process=process,
        data_dir=data_dir,
        port=port,
        database_url=database_url,
        credentials={},
        _args={
            "database_url": database_url,
            "extra_env": extra_env,
            "workers": workers,
            "demo_data": demo_data,
            "timeout": timeout,
        },
    )
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise ServerFailed(f"kiosk-server exited with {process.returncode}:\n{server.log()}")
        try:
            if requests.get(f"{base_url}/api/v1/health", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            server.kill()
            raise ServerFailed(f"kiosk-server did not answer within {timeout}s:\n{server.log()}")
        time.sleep(0.1)
    server.credentials = json.loads((data_dir / "demo-credentials.json").read_text("utf-8"))
    return server
