"""Interim: runs ``kiosk-server demo`` until tests/utils/servers.py lands. Delete then."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests


@dataclass
class RunningServer:
    base_url: str
    process: subprocess.Popen[bytes]
    credentials: dict[str, Any]

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(data_dir: Path, *, port: int | None = None, **_: Any) -> RunningServer:
    if port is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    exe = str(Path(sys.executable).with_name("kiosk-server"))
    with open(data_dir / "server.log", "ab") as log:
        proc = subprocess.Popen(
            [exe, "demo", "--data-dir", str(data_dir), "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ},
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/api/v1/health", timeout=1).ok:
                creds = json.loads((data_dir / "demo-credentials.json").read_text())
                return RunningServer(base, proc, creds)
        except requests.RequestException:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start")
