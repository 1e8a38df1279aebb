"""A district: three ``kiosk-server`` processes on one PostgreSQL behind nginx (the shipped
site's proxy settings). Kiosks long-poll through nginx and land on any process; a staff edit
made on one process reaches the kiosks held by the others (LISTEN/NOTIFY); one process is
killed during a ticket burst: no acknowledged ticket is lost, a retried key is never a
second ticket, and numbers never clash (issue 16)."""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from kiosk.server import models as m
from tests.deploy.nginx import write_nginx_conf
from tests.sync.harness import StaffDesk, running_sync
from tests.utils.servers import REPO, RunningServer, free_port, start_server

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which("nginx"), reason="needs nginx (scripts/system-deps.sh)"),
]

SITE = REPO / "deploy" / "server" / "nginx-residents-home.conf"


def _location_block() -> str:
    """The shipped site's ``location / { … }`` (proxy settings), verbatim."""
    text = SITE.read_text("utf-8")
    match = re.search(r"\n(    location / \{\n.*?\n    \})", text, re.S)
    assert match, "the shipped nginx site has a proxy location"
    return match.group(1)


@contextlib.contextmanager
def nginx_in_front(tmp_path: Path, servers: list[RunningServer]):
    port = free_port()
    upstream = "".join(
        f"    server 127.0.0.1:{s.port} max_fails=1 fail_timeout=5s;\n" for s in servers
    )
    write_nginx_conf(
        tmp_path,
        f"  upstream residents_home {{\n{upstream}    keepalive 64;\n  }}\n"
        f"  server {{\n    listen 127.0.0.1:{port};\n{_location_block()}\n  }}\n",
    )
    proc = subprocess.Popen(
        ["nginx", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if requests.get(f"{base}/api/v1/health", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, (tmp_path / "error.log").read_text()
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_district_behind_nginx(postgres_database_url: str, tmp_path: Path) -> None:
    servers = [start_server(tmp_path / "w0", database_url=postgres_database_url)]
    servers += [
        start_server(tmp_path / f"w{i}", database_url=postgres_database_url) for i in (1, 2)
    ]
    creds = servers[0].credentials
    hall_id = sorted(creds["kiosks"])[0]
    token = creds["kiosks"][hall_id]["token"]
    try:
        with nginx_in_front(tmp_path, servers) as base, contextlib.ExitStack() as stack:
            # 1. An edit on one process reaches kiosks held by any process.
            kiosks = [
                stack.enter_context(running_sync(base, token, tmp_path / f"k{i}")) for i in range(4)
            ]
            for sync, rec, _ in kiosks:
                rec.wait_for("first content", lambda rec=rec: rec.contents)
                rec.wait_for("online", lambda sync=sync: sync.status.online)
            time.sleep(0.5)
            access = (tmp_path / "access.log").read_text()
            marker = f"district {time.time_ns()}"
            login = creds["staff"][hall_id]
            r = requests.post(
                f"{servers[0].base_url}/api/v1/auth/token",
                json={"username": login["username"], "password": login["password"]},
                timeout=10,
            )
            staff_token = r.json()["access_token"]
            desk = StaffDesk(servers[0].base_url, staff_token)

            def change(content: dict[str, Any]) -> None:
                content["hall"]["intro"] = marker

            started = time.monotonic()
            try:
                desk.edit(hall_id, change)
            finally:
                desk.close()
            for i, (_, rec, _) in enumerate(kiosks):
                rec.wait_for(
                    f"kiosk {i} to get the edit",
                    lambda rec=rec: any(s.content.hall.intro == marker for s in rec.contents),
                    timeout=10,
                )
            took = time.monotonic() - started
            assert took < 5, f"the edit took {took:.1f} s to reach every kiosk"
            assert access.count("/api/v1/kiosk/events") >= 4

            # 2. A ticket burst through nginx (from the window: a kiosk token has its own
            # rate), one process is killed in the middle.
            results: dict[str, str] = {}  # idempotency key -> ticket id
            failures: list[str] = []
            lock = threading.Lock()

            def issue(n: int) -> None:
                session = requests.Session()
                for i in range(60):
                    key = f"district-{n}-{i:04d}"
                    for _attempt in range(20):  # retried with the same key until answered
                        try:
                            r = session.post(
                                f"{base}/api/v1/tickets",
                                json={"queue": "A"},
                                headers={
                                    "Authorization": f"Bearer {token}",
                                    "Idempotency-Key": key,
                                },
                                timeout=15,
                            )
                        except requests.RequestException:
                            time.sleep(0.1)
                            continue
                        if r.status_code in (200, 201):
                            with lock:
                                if key in results and results[key] != r.json()["id"]:
                                    failures.append(f"{key}: two tickets")
                                results[key] = r.json()["id"]
                            break
                        if r.status_code in (502, 503, 504):
                            time.sleep(0.1)
                            continue
                        failures.append(f"{key}: {r.status_code} {r.text[:200]}")
                        break

            threads = [threading.Thread(target=issue, args=(n,)) for n in range(4)]
            for t in threads:
                t.start()
            time.sleep(1.0)
            servers[1].kill()  # SIGKILL mid-burst
            for t in threads:
                t.join(120)
            assert not failures, failures[:5]
            assert len(results) == 240, f"{240 - len(results)} tickets never acknowledged"
    finally:
        for s in servers:
            with contextlib.suppress(Exception):
                s.stop()
    engine = sa.create_engine(postgres_database_url)
    try:
        with engine.connect() as c:
            t = m.tickets.c
            rows = c.execute(
                sa.select(t.public_id, t.idempotency_key, t.number, t.service_day).where(
                    t.hall_id == hall_id, t.queue == "A"
                )
            ).all()
    finally:
        engine.dispose()
    by_id = {r.public_id: r for r in rows}
    assert set(results.values()) <= set(by_id), "an acknowledged ticket is missing"
    numbers = [(r.service_day, r.number) for r in rows]
    assert len(numbers) == len(set(numbers)), "two tickets share a number"
    keyed = [
        r.idempotency_key for r in rows if r.idempotency_key and "district-" in r.idempotency_key
    ]
    assert len(keyed) == len(set(keyed)) == 240, "a retried key became a second ticket"
