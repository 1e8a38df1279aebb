"""A full disk (issue 10 §5): the JSON error shape with 503, and ``/health`` says so.

A real full disk: the server's SQLite database lives on a small tmpfs of its own, which
the test fills with a file until the kernel says ENOSPC. SQLite then fails the server's
writes with SQLITE_FULL — the real error from the real database. Ticket issue (on the fast
lane and on the route), a content PUT and a heartbeat must each answer ``503`` with
``{"error": {"code": "storage_full", …}}``, ``/health`` must answer 503 naming the
problem, nothing already stored may be lost, and once room is made everything works again.

Mounting a tmpfs needs root (or CAP_SYS_ADMIN); elsewhere the test is skipped, saying why.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.utils.logins import staff_token
from tests.utils.servers import RunningServer, start_server

HALL = "huayang"
TIMEOUT = 60


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    """Write a file on ``disk`` until there is no room left at all; returns it."""
    filler = disk / "filler.bin"
    with filler.open("wb", buffering=0) as f:
        for size in (1 << 20, 1 << 12, 1):
            block = b"\0" * size
            with contextlib.suppress(OSError):
                while True:
                    f.write(block)
    assert os.statvfs(disk).f_bavail == 0
    return filler


def _ticket(server: RunningServer, headers: dict[str, str]) -> requests.Response:
    return requests.post(
        f"{server.api}/tickets",
        json={"queue": "A"},
        headers={**headers, "Idempotency-Key": f"full-{uuid.uuid4().hex}"},
        timeout=TIMEOUT,
    )


def _storage_full(r: requests.Response) -> bool:
    if r.status_code != 503:
        return False
    assert r.headers["content-type"].startswith("application/json"), r.text[:200]
    error = r.json()["error"]
    assert error["code"] == "storage_full", error
    assert "存储空间已满" in error["message"], error
    assert r.headers.get("retry-after"), r.headers
    return True


def test_a_full_disk_answers_503_json_and_health_names_it(small_disk: Path, tmp_path: Path) -> None:
    server = start_server(
        tmp_path / "data", database_url=f"sqlite:///{small_disk / 'kiosk.sqlite3'}"
    )
    try:
        _run(server, small_disk)
    finally:
        server.stop()


def _run(server: RunningServer, disk: Path) -> None:
    kiosk = {"Authorization": f"Bearer {server.credentials['kiosks'][HALL]['token']}"}
    staff = {"Authorization": f"Bearer {staff_token(server, HALL)}"}
    assert requests.get(f"{server.api}/health", timeout=TIMEOUT).json()["status"] == "ok"
    # Warm the kiosk's token and hall into the process: its tickets take the fast lane.
    assert requests.get(f"{server.api}/kiosk/content", headers=kiosk, timeout=TIMEOUT).ok
    before = _ticket(server, kiosk)
    assert before.status_code == 201, before.text
    content = requests.get(f"{server.api}/halls/{HALL}/content", headers=staff, timeout=TIMEOUT)
    assert content.status_code == 200, content.text
    snapshot: dict[str, Any] = content.json()

    filler = fill(disk)
    answers = []
    for _ in range(3000):  # the WAL may still hold a few frames' room
        r = _ticket(server, kiosk)
        answers.append(r.status_code)
        assert r.status_code in (201, 503), (r.status_code, r.text[:300])
        if _storage_full(r):
            break
    assert answers[-1] == 503, f"the disk never filled: {answers[-5:]}"
    # The route answers the same (a staff token's first ticket is not on the fast lane).
    assert _storage_full(_ticket(server, staff))
    renamed = dict(snapshot["content"])
    renamed["hall"] = {**renamed["hall"], "short_name": "满盘测试"}
    r = requests.put(
        f"{server.api}/halls/{HALL}/content", json=renamed, headers=staff, timeout=TIMEOUT
    )
    assert _storage_full(r), (r.status_code, r.text[:300])
    r = requests.post(
        f"{server.api}/kiosk/heartbeat",
        json={"app_version": "test", "outbox_backlog": 3},
        headers=kiosk,
        timeout=TIMEOUT,
    )
    assert _storage_full(r), (r.status_code, r.text[:300])
    health = requests.get(f"{server.api}/health", timeout=TIMEOUT)
    assert health.status_code == 503, health.text
    report = health.json()
    assert report["status"] == "degraded", report
    assert "storage_full" in [p["code"] for p in report["problems"]], report
    # Reading still works, and what was stored before is still there.
    ticket = before.json()
    r = requests.get(f"{server.api}/public/tickets/{ticket['id']}", timeout=TIMEOUT)
    assert r.status_code == 200 and r.json()["number"] == ticket["number"], r.text

    filler.unlink()  # room again: the next write commits and health is ok
    again = _ticket(server, kiosk)
    assert again.status_code == 201, again.text
    r = requests.put(
        f"{server.api}/halls/{HALL}/content", json=renamed, headers=staff, timeout=TIMEOUT
    )
    assert r.status_code == 200, r.text[:300]
    health = requests.get(f"{server.api}/health", timeout=TIMEOUT)
    assert health.status_code == 200 and health.json()["status"] == "ok", health.text
    assert server.process.poll() is None
