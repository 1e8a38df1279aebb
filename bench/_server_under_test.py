"""Start the real server for a benchmark: ``kiosk-server demo`` on SQLite or PostgreSQL.

Not a benchmark itself (run_all.py skips files starting with ``_``). It uses the test
suite's own server process and private PostgreSQL (``devkit.servers``,
``devkit.postgres``), so the benchmarks measure exactly what the tests run.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import tempfile
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devkit.postgres import PostgresUnavailable, PrivatePostgres
from devkit.servers import start_server

__all__ = [
    "BACKENDS",
    "HallAccess",
    "ServerUnderTest",
    "conditions",
    "raise_fd_limit",
    "server_under_test",
]

BACKENDS = ("sqlite", "postgres")


@dataclass
class HallAccess:
    hall_id: str
    kiosk_token: str
    queues: list[str]
    etag: str


@dataclass
class ServerUnderTest:
    backend: str
    base_url: str
    host: str
    port: int
    pid: int
    halls: list[HallAccess]
    process: Any
    credentials: dict[str, Any]


def raise_fd_limit(want: int = 65536) -> int:
    """Raise this process's open-file limit (children inherit it); returns the new soft one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def kiosk_tokens(credentials: dict[str, Any]) -> dict[str, str]:
    """hall id → a demo kiosk token, from ``demo-credentials.json``."""
    kiosks = credentials.get("kiosks", credentials.get("kiosk_tokens"))
    out: dict[str, str] = {}
    if isinstance(kiosks, dict):
        for hall, value in kiosks.items():
            out[hall] = value if isinstance(value, str) else value["token"]
    elif isinstance(kiosks, list):
        for item in kiosks:
            out[item["hall_id"]] = item["token"]
    if not out:
        raise RuntimeError(f"no kiosk tokens in demo credentials: {sorted(credentials)}")
    return out


def _get_json(url: str, token: str) -> tuple[dict[str, Any], str]:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read()), resp.headers.get("ETag", "")


def hall_access(base_url: str, credentials: dict[str, Any]) -> list[HallAccess]:
    halls = []
    for hall_id, token in sorted(kiosk_tokens(credentials).items()):
        snap, etag = _get_json(f"{base_url}/api/v1/kiosk/content", token)
        queues = [q["code"] for q in snap["content"]["queues"] if q.get("open", True)]
        halls.append(HallAccess(hall_id, token, queues, etag))
    return halls


@contextlib.contextmanager
def server_under_test(
    backend: str, *, extra_env: dict[str, str] | None = None, workers: int = 1
) -> Iterator[ServerUnderTest]:
    """A fresh demo server on ``backend`` ("sqlite" or "postgres"), stopped afterwards."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"kiosk-bench-{backend}-"))
    pg: PrivatePostgres | None = None
    try:
        database_url = None
        if backend == "postgres":
            pg = PrivatePostgres().start()
            database_url = pg.create_database()
        elif backend != "sqlite":
            raise ValueError(backend)
        running = start_server(
            data_dir, database_url=database_url, extra_env=extra_env, workers=workers
        )
        try:
            base = running.base_url.rstrip("/")
            host_port = base.split("://", 1)[1]
            host, port = host_port.rsplit(":", 1)
            yield ServerUnderTest(
                backend=backend,
                base_url=base,
                host=host,
                port=int(port),
                pid=running.process.pid,
                halls=hall_access(base, running.credentials),
                process=running.process,
                credentials=running.credentials,
            )
        finally:
            stop = getattr(running, "stop", None)
            if callable(stop):
                stop()
            else:
                running.process.terminate()
                try:
                    running.process.wait(timeout=20)
                except Exception:
                    running.process.kill()
                    running.process.wait(timeout=20)
    finally:
        if pg is not None:
            pg.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def backends_from_argv(argv: list[str]) -> list[str]:
    """``--backend sqlite|postgres|both`` (default both); PostgreSQL skipped if absent."""
    chosen = "both"
    if "--backend" in argv:
        chosen = argv[argv.index("--backend") + 1]
    names = list(BACKENDS) if chosen == "both" else [chosen]
    if "postgres" in names:
        try:
            from devkit.postgres import find_bin_dir

            find_bin_dir()
        except PostgresUnavailable as exc:
            print(f"!!! PostgreSQL benchmarks SKIPPED: {exc}", flush=True)
            names.remove("postgres")
    return names


def process_stats(pid: int) -> dict[str, int]:
    """RSS (KiB), threads and open fds of a process (Linux /proc)."""
    stats = {"rss_kib": 0, "threads": 0, "fds": 0}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                stats["rss_kib"] = int(line.split()[1])
            elif line.startswith("Threads:"):
                stats["threads"] = int(line.split()[1])
        stats["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    return stats


def conditions() -> str:
    """The machine's load right now: benchmarks on a busy 2-core machine mislead."""
    one, five, _ = os.getloadavg()
    warn = "  !!! the machine is busy: numbers will be low" if one > 1.5 else ""
    return f"(load average {one:.1f} / {five:.1f}, {os.cpu_count()} cpus){warn}"
