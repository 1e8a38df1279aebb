"""``kiosk-server backup`` while tickets are being issued, then ``restore``: every ticket
acknowledged before the backup began is in it, the copy is checked, a damaged backup is
refused before anything is replaced, a running server's database is not swapped under it.
Real servers, real SQLite files, a real PostgreSQL with pg_dump / pg_restore (issue 16)."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.utils.servers import RunningServer, run_cli, start_server

pytestmark = pytest.mark.slow


def _token(server: RunningServer) -> str:
    """A hall-staff bearer token: the window issues tickets as fast as it likes (a kiosk
    token is held to its own rate, docs/SERVER.md)."""
    hall = sorted(server.credentials["staff"])[0]
    login = server.credentials["staff"][hall]
    r = requests.post(
        f"{server.base_url}/api/v1/auth/token",
        json={"username": login["username"], "password": login["password"]},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


class Burst:
    """Threads issuing tickets until stopped; remembers each acknowledged ticket's time."""

    def __init__(self, server: RunningServer, threads: int = 4) -> None:
        self.url = f"{server.base_url}/api/v1/tickets"
        self.headers = {"Authorization": f"Bearer {_token(server)}"}
        self.acked: list[tuple[float, str]] = []  # (monotonic time of the answer, public id)
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)
        ]

    def _run(self, n: int) -> None:
        session = requests.Session()
        i = 0
        while not self._stop.is_set() and i < 2000:
            i += 1
            queue = "ABCD"[i % 4]
            r = session.post(
                self.url,
                json={"queue": queue},
                headers={**self.headers, "Idempotency-Key": f"burst-{n}-{i:05d}"},
                timeout=15,
            )
            if r.status_code == 201:
                with self._lock:
                    self.acked.append((time.monotonic(), r.json()["id"]))
            elif r.status_code not in (404, 409, 422):  # a queue the hall lacks, or full
                self.errors.append(f"{r.status_code} {r.text[:200]}")

    def __enter__(self) -> Burst:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(30)


def _ticket_ids(db: Path) -> set[str]:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return {str(r[0]) for r in conn.execute("SELECT public_id FROM tickets")}
    finally:
        conn.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_backup_during_a_burst_then_restore(tmp_path: Path) -> None:
    server = start_server(tmp_path / "hall")
    try:
        with Burst(server) as burst:
            time.sleep(1.5)  # tickets flowing
            started = time.monotonic()
            out = run_cli("backup", "--keep", "2", data_dir=server.data_dir).stdout
            time.sleep(0.5)
        assert not burst.errors, burst.errors[:5]
        before = {pid for t, pid in burst.acked if t < started}
        after_count = sum(1 for t, _ in burst.acked if t >= started)
        assert len(before) > 20, "the burst should have issued tickets before the backup"
        assert after_count > 0, "tickets should still be issued while the backup runs"
        assert "backup written and checked" in out
        backups = sorted((server.data_dir / "backups").glob("kiosk-*.sqlite3"))
        assert len(backups) == 1
        in_backup = _ticket_ids(backups[0])
        assert before <= in_backup, f"{len(before - in_backup)} acknowledged tickets missing"
        conn = sqlite3.connect(backups[0])
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.close()

        # A running server's database is not replaced under it.
        with pytest.raises(RuntimeError, match="请先停止"):
            run_cli("restore", str(backups[0]), data_dir=server.data_dir)

        # keep N: the oldest go.
        for _ in range(2):
            run_cli("backup", "--keep", "2", data_dir=server.data_dir)
        listed = run_cli("list-backups", data_dir=server.data_dir).stdout.splitlines()
        assert len(listed) == 2 and backups[0].name not in "\n".join(listed)
        newest = Path(listed[-1].split("\t")[0])
    finally:
        server.stop()

    # Restore into a new hall folder and serve it: the tickets are there.
    target = tmp_path / "restored"
    out = run_cli("restore", str(newest), data_dir=target).stdout
    assert "restored" in out
    assert before <= _ticket_ids(target / "kiosk.sqlite3")
    restored = start_server(target)
    try:
        some = sorted(before)[:5]
        for pid in some:
            r = requests.get(f"{restored.base_url}/api/v1/public/tickets/{pid}", timeout=10)
            assert r.status_code == 200, r.text
    finally:
        restored.stop()


def test_a_damaged_backup_is_refused_before_anything_changes(tmp_path: Path) -> None:
    server = start_server(tmp_path / "hall")
    try:
        run_cli("backup", data_dir=server.data_dir)
    finally:
        server.stop()
    good = next((server.data_dir / "backups").glob("kiosk-*.sqlite3"))
    bad = tmp_path / "kiosk-20260101-000000-000.sqlite3"
    data = bytearray(good.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[page * 2 : page * 3] = b"\xa5" * page  # a b-tree page turned to noise
    bad.write_bytes(bytes(data))
    current = server.data_dir / "kiosk.sqlite3"
    before = _digest(current)
    for candidate, why in ((bad, "损坏|不是可用"), (tmp_path / "none.sqlite3", "不存在")):
        with pytest.raises(RuntimeError, match=why):
            run_cli("restore", str(candidate), data_dir=server.data_dir)
    assert _digest(current) == before
    assert not list(server.data_dir.glob("*.before-restore-*"))
    # And the good one restores, keeping the replaced file aside.
    out = run_cli("restore", str(good), data_dir=server.data_dir).stdout
    assert "kept as" in out
    assert list(server.data_dir.glob("kiosk.sqlite3.before-restore-*"))


@pytest.mark.postgres
def test_postgres_backup_and_restore(postgres_database_url: str, tmp_path: Path) -> None:
    server = start_server(tmp_path / "hall", database_url=postgres_database_url)
    try:
        with Burst(server, threads=2) as burst:
            time.sleep(1.0)
            started = time.monotonic()
            run_cli("backup", data_dir=server.data_dir, database_url=postgres_database_url)
        before = {pid for t, pid in burst.acked if t < started}
        assert before
        dump = next((server.data_dir / "backups").glob("kiosk-*.pgdump"))
        # Tickets issued after the backup disappear on restore; the earlier ones stay.
        r = requests.post(
            f"{server.base_url}/api/v1/tickets",
            json={"queue": "A"},
            headers={"Authorization": f"Bearer {_token(server)}", "Idempotency-Key": "after-0001"},
            timeout=10,
        )
        assert r.status_code == 201
        late = r.json()["id"]
    finally:
        server.stop()
    run_cli("restore", str(dump), data_dir=server.data_dir, database_url=postgres_database_url)
    restored = start_server(tmp_path / "hall", database_url=postgres_database_url)
    try:
        for pid in sorted(before)[:5]:
            assert requests.get(f"{restored.base_url}/api/v1/public/tickets/{pid}", timeout=10).ok
        gone = requests.get(f"{restored.base_url}/api/v1/public/tickets/{late}", timeout=10)
        assert gone.status_code == 404
    finally:
        restored.stop()
