"""The real kiosk under Xvfb tells systemd READY=1 once its first screen is drawn, feeds
the watchdog from Kivy's main loop, and stops feeding it when the UI thread hangs while its
other threads live on, so systemd would restart it (issue 16). A unix datagram socket the
test binds stands in for systemd's ``NOTIFY_SOCKET``."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.ui,
    pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs a display (Xvfb)"),
]


def _receive(sock: socket.socket, seconds: float) -> list[str]:
    deadline = time.monotonic() + seconds
    got: list[str] = []
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, min(0.2, deadline - time.monotonic())))
        try:
            got.append(sock.recv(4096).decode())
        except TimeoutError:
            continue
    return got


@pytest.mark.parametrize("mode", ["kiosk", "display", "rating"])
def test_ready_after_first_frame_then_pings_that_stop_when_the_ui_thread_hangs(
    tmp_path: Path, mode: str
) -> None:
    address = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(address))
    env = {
        **os.environ,
        "NOTIFY_SOCKET": str(address),
        "WATCHDOG_USEC": "1000000",  # a ping every 0.5 s
        "KIVY_NO_ARGS": "1",
        "KIVY_NO_CONFIG": "1",
        "KIVY_NO_FILELOG": "1",
        "KIVY_HOME": str(tmp_path / "kivy"),
        "PYTHONPATH": str(REPO),
    }
    log = (tmp_path / "kiosk.log").open("wb")
    app = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.deploy.frozen_kiosk",
            "--windowed",
            "--mode",
            mode,
            *(["--counter", "1"] if mode == "rating" else []),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        got: list[str] = []
        deadline = time.monotonic() + 90
        while not any(m.startswith("READY=1") for m in got):
            assert app.poll() is None, (tmp_path / "kiosk.log").read_text()[-3000:]
            assert time.monotonic() < deadline, f"no READY=1: {got}"
            got += _receive(sock, 0.5)
        assert any(f"kiosk ({mode})" in m for m in got if m.startswith("READY=1"))
        # Pings keep coming (the first seconds build screens in idle time: on a loaded
        # machine a frame may take a while, so wait for them rather than count per second).
        pings: list[str] = []
        deadline = time.monotonic() + 30
        while len(pings) < 3:
            assert time.monotonic() < deadline, f"pings: {pings}"
            pings += [m for m in _receive(sock, 0.5) if m == "WATCHDOG=1"]

        app.send_signal(signal.SIGUSR1)  # the UI thread now hangs for 30 s
        _receive(sock, 1.0)  # pings already on their way
        assert [m for m in _receive(sock, 4.0) if m == "WATCHDOG=1"] == []
        assert app.poll() is None, "the process itself is alive: only its UI thread hangs"
    finally:
        app.kill()
        app.wait(timeout=20)
        log.close()
        sock.close()


def test_without_notify_socket_the_watchdog_sends_nothing() -> None:
    from kiosk.core.sdnotify import Notifier, watchdog_interval

    assert not Notifier(address="").enabled
    assert Notifier(address="").ready() is False
    assert watchdog_interval({}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 15.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "x"}) is None
