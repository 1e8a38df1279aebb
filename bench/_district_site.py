"""The district under test for ``bench/district_sim.py`` (not a benchmark itself).

* :func:`seed_district`: N halls copied from the seven demo halls (new ids and names, each
  copy validated again by :func:`kiosk.core.content.parse_content`), published with the
  server's own :func:`~kiosk.server.content_store.publish_content` (which also derives the
  counters), K kiosk tokens per hall from :func:`~kiosk.server.auth.create_kiosk` and one
  district admin from :func:`~kiosk.server.auth.create_staff` — all in one transaction.
* :func:`start_workers`: W ``kiosk-server serve`` processes on the one database.
* :func:`nginx_in_front`: nginx with the shipped site's proxy ``location`` over them.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from devkit.servers import free_port
from kiosk.core import clock

REPO = Path(__file__).resolve().parent.parent

__all__ = [
    "ADMIN_PASSWORD",
    "ADMIN_USER",
    "District",
    "SeededHall",
    "Worker",
    "nginx_in_front",
    "seed_district",
    "start_workers",
]

ADMIN_USER = "district-sim-admin"
ADMIN_PASSWORD = "district-sim-2026-admin"
SITE = REPO / "deploy" / "server" / "nginx-residents-home.conf"
#: A Wednesday morning in the halls' zone: every demo hall is open and issues tickets.
HALL_TIME = "2026-12-02T10:00:00+08:00"


@dataclass
class SeededHall:
    hall_id: str
    kiosk_tokens: list[str]


@dataclass
class District:
    halls: list[SeededHall]
    seed_seconds: float


def use_hall_clock() -> None:
    """Put this process (and, through :func:`clock.child_env`, its children) at an open
    hall time, unless the caller chose one (the test suite does)."""
    if not os.environ.get(clock.ENV_VAR):
        clock.set_clock_at(HALL_TIME)


def seed_district(database_url: str, halls: int, kiosks_per_hall: int) -> District:
    """Migrate the database, then write the district in one transaction (see module doc)."""
    from sqlalchemy.engine import Connection

    from kiosk.core.content import parse_content
    from kiosk.core.demo import demo_media, load_demo_halls
    from kiosk.server.auth import create_kiosk, create_staff
    from kiosk.server.content_store import publish_content
    from kiosk.server.db import Database, migrate
    from kiosk.server.media import store_media

    started = time.perf_counter()
    migrate(database_url)
    demo = [c.model_dump(mode="json") for c in load_demo_halls()]
    db = Database(database_url)

    def seed(conn: Connection) -> list[SeededHall]:
        for _digest, (_mime, data) in demo_media().items():
            store_media(conn, data)
        out = []
        for i in range(halls):
            raw = demo[i % len(demo)]
            hall_id = f"{raw['hall']['id']}-{i:03d}"[:63]
            copy = {
                **raw,
                "hall": {**raw["hall"], "id": hall_id, "name": f"{raw['hall']['name']}{i:03d}"},
            }
            content = parse_content(copy)
            publish_content(conn, content, "district-sim", create=True)
            tokens = [
                create_kiosk(conn, hall_id, f"模拟自助机{k + 1}")[2] for k in range(kiosks_per_hall)
            ]
            out.append(SeededHall(hall_id, tokens))
        create_staff(
            conn,
            ADMIN_USER,
            ADMIN_PASSWORD,
            "district_admin",
            display_name="模拟街道管理员",
        )
        return out

    try:
        seeded = db.write_sync(seed)
    finally:
        db.close()
    return District(seeded, time.perf_counter() - started)


@dataclass
class Worker:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def cpu_seconds(self) -> float:
        """user + system CPU of the process so far (Linux /proc)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_http(url: str, deadline: float, what: str, log: Path | None = None) -> None:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            tail = log.read_text("utf-8", "replace")[-3000:] if log and log.exists() else ""
            raise RuntimeError(f"{what} did not answer {url}\n{tail}")
        time.sleep(0.2)


@contextlib.contextmanager
def start_workers(database_url: str, count: int, folder: Path) -> Iterator[list[Worker]]:
    """``count`` ``kiosk-server serve`` processes (one uvicorn process each)."""
    env = clock.child_env()
    env.update(
        KIOSK_SERVER_SECRET_KEY="district-sim-secret-key-0123456789",
        # Every worker seals personal data with the same key (kiosk/server/personal.py).
        KIOSK_SERVER_DATA_KEY="ZGlzdHJpY3Qtc2ltLWRhdGEta2V5LTAxMjM0NTY3ODk=",
        KIOSK_SERVER_KIOSK_TICKET_BURST="1000000",
        KIOSK_SERVER_KIOSK_TICKETS_PER_MINUTE="1000000",
        KIOSK_SERVER_KIOSK_NUMBERS_PER_QUEUE_DAY="999",
        PYTHONUNBUFFERED="1",
    )
    workers: list[Worker] = []
    try:
        for i in range(count):
            port = free_port()
            data = folder / f"worker{i}"
            data.mkdir(parents=True, exist_ok=True)
            log = data / "server.log"
            with log.open("ab") as out:
                proc = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "kiosk.server.cli",
                        "serve",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--data-dir",
                        str(data),
                        "--database-url",
                        database_url,
                    ],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=env,
                    cwd=REPO,
                    start_new_session=True,
                )
            workers.append(Worker(port, proc, log))
        deadline = time.monotonic() + 90
        for w in workers:
            _wait_http(f"http://127.0.0.1:{w.port}/api/v1/health", deadline, "worker", w.log)
        yield workers
    finally:
        for w in workers:
            if w.process.poll() is None:
                w.process.send_signal(signal.SIGTERM)
        for w in workers:
            try:
                w.process.wait(20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(w.process.pid, signal.SIGKILL)
                w.process.wait(20)


def _location_block() -> str:
    """The shipped site's ``location / { … }`` (its proxy settings), verbatim."""
    match = re.search(r"\n(    location / \{\n.*?\n    \})", SITE.read_text("utf-8"), re.S)
    if match is None:
        raise RuntimeError(f"no proxy location in {SITE}")
    return match.group(1)


@contextlib.contextmanager
def nginx_in_front(workers: list[Worker], folder: Path) -> Iterator[int]:
    """A private nginx (config, logs, temp files in ``folder``) over ``workers``; its port."""
    port = free_port()
    upstream = "".join(f"    server 127.0.0.1:{w.port};\n" for w in workers)
    folder.mkdir(parents=True, exist_ok=True)
    conf = folder / "nginx.conf"
    # worker_connections: each held long-poll takes two (client side and upstream side).
    conf.write_text(
        f"daemon off;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log warn;\n"
        "worker_processes 1;\nworker_rlimit_nofile 16384;\n"
        "events { worker_connections 8192; }\nhttp {\n"
        "  access_log off;\n"
        f"  client_body_temp_path {folder}/body;\n  proxy_temp_path {folder}/proxy;\n"
        # keepalive_timeout below uvicorn's 5 s, so nginx never reuses a connection
        # uvicorn is closing (a POST on it would be answered 502).
        f"  upstream residents_home {{\n{upstream}    keepalive 256;\n"
        "    keepalive_timeout 4s;\n  }\n"
        f"  server {{\n    listen 127.0.0.1:{port} backlog=4096;\n"
        # As the shipped site; and bodies kept in memory: nginx's workers (user nobody
        # when started as root) may not write to a temp folder of root's.
        "    client_max_body_size 8m;\n    client_body_buffer_size 8m;\n"
        # Which worker answered: the bench splits latencies by it.
        "    add_header X-Upstream $upstream_addr always;\n"
        f"{_location_block()}\n  }}\n"
        "}\n"
    )
    proc = subprocess.Popen(
        ["nginx", "-c", str(conf), "-p", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_http(
            f"http://127.0.0.1:{port}/api/v1/health",
            time.monotonic() + 20,
            "nginx",
            folder / "error.log",
        )
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)
