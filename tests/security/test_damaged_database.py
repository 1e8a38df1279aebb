"""A damaged, empty or missing database is refused at start, with what happened and how to
restore; the file is never touched. Real ``kiosk-server`` processes, real SQLite files, a
real PostgreSQL (issue 10 §6)."""

from __future__ import annotations

import base64
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.utils.servers import REPO, free_port, start_server

SECRET = "a-real-secret-of-thirty-two-chars!"
TIMEOUT = 90


DATA_KEY = base64.b64encode(b"damaged-database-test-data-key!!").decode()


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_SERVER_")}
    env["KIOSK_SERVER_SECRET_KEY"] = SECRET
    env["KIOSK_SERVER_DATA_KEY"] = DATA_KEY  # serve refuses to start without one
    return env


def _cli(*args: str, data_dir: Path, database_url: str | None = None) -> tuple[int, str]:
    """Run ``kiosk-server ARGS`` outside demo mode: (returncode, stdout + stderr)."""
    cmd = [sys.executable, "-m", "kiosk.server.cli", *args, "--data-dir", str(data_dir)]
    if database_url:
        cmd += ["--database-url", database_url]
    done = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=_env(),
        cwd=REPO,
        stdin=subprocess.DEVNULL,
    )
    return done.returncode, done.stdout + done.stderr


def _serve(data_dir: Path, database_url: str | None = None) -> tuple[int | None, str]:
    """``kiosk-server serve``: (None, log) once it answers /health (then stopped), or
    (returncode, output) when it exits first."""
    port = free_port()
    cmd = [sys.executable, "-m", "kiosk.server.cli", "serve", "--port", str(port)]
    cmd += ["--data-dir", str(data_dir)]
    if database_url:
        cmd += ["--database-url", database_url]
    log = data_dir.parent / f"serve-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=_env(), cwd=REPO)
    deadline = time.monotonic() + TIMEOUT
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                return proc.returncode, log.read_text("utf-8", "replace")
            try:
                if requests.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).ok:
                    return None, log.read_text("utf-8", "replace")
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise AssertionError(f"serve neither answered nor exited:\n{log.read_text()}")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def filled_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real hall database with the demo halls and some tickets in it, server stopped."""
    data = tmp_path_factory.mktemp("filled")
    server = start_server(data)
    try:
        token = server.credentials["kiosks"][sorted(server.credentials["kiosks"])[0]]["token"]
        for i in range(30):
            r = requests.post(
                f"{server.base_url}/api/v1/tickets",
                json={"queue": "A"},
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"dmg-{i:04d}"},
                timeout=10,
            )
            assert r.status_code == 201, r.text
    finally:
        server.stop()
    db = data / "kiosk.sqlite3"
    assert db.stat().st_size > 0
    return db


def _copy(src: Path, tmp_path: Path) -> Path:
    dst_dir = tmp_path / "data"
    dst_dir.mkdir()
    dst = dst_dir / "kiosk.sqlite3"
    dst.write_bytes(src.read_bytes())
    return dst


def test_a_whole_database_serves(filled_database: Path, tmp_path: Path) -> None:
    db = _copy(filled_database, tmp_path)
    code, out = _serve(db.parent)
    assert code is None, f"a whole database should serve, got {code}:\n{out}"


def test_last_page_overwritten_is_refused_and_left_alone(
    filled_database: Path, tmp_path: Path
) -> None:
    db = _copy(filled_database, tmp_path)
    data = bytearray(db.read_bytes())
    page_size = int.from_bytes(data[16:18], "big") or 65536
    data[-page_size:] = bytes((i * 37 + 11) % 256 for i in range(page_size))
    db.write_bytes(bytes(data))
    before = _digest(db)
    code, out = _serve(db.parent)
    assert code not in (None, 0), f"a damaged database must not serve:\n{out}"
    assert "已损坏" in out and str(db) in out and "恢复" in out, out
    assert "Traceback" not in out, out
    assert _digest(db) == before, "the damaged file must be left as it was"


def test_damaged_header_is_a_clear_message_not_a_traceback(
    filled_database: Path, tmp_path: Path
) -> None:
    db = _copy(filled_database, tmp_path)
    data = bytearray(db.read_bytes())
    data[:100] = b"\x00garbage" * 12 + b"\x00\x00\x00\x00"
    db.write_bytes(bytes(data))
    before = _digest(db)
    for command in ("serve", "migrate", "create-admin"):
        if command == "serve":
            code, out = _serve(db.parent)
        else:
            code, out = _cli(
                command, *(["x-admin"] if command == "create-admin" else []), data_dir=db.parent
            )
        assert code not in (None, 0), f"{command} on a damaged header:\n{out}"
        assert "已损坏" in out and "文件头" in out, out
        assert "Traceback" not in out, out
    assert _digest(db) == before


@pytest.mark.parametrize("how", ["missing", "empty"])
def test_missing_or_empty_database_is_never_created_silently(tmp_path: Path, how: str) -> None:
    data = tmp_path / "data"
    data.mkdir()
    db = data / "kiosk.sqlite3"
    if how == "empty":
        db.write_bytes(b"")
    code, out = _serve(data)
    assert code not in (None, 0), f"serve on a {how} database must refuse:\n{out}"
    assert "kiosk-server migrate" in out and str(db) in out, out
    assert "Traceback" not in out
    if how == "missing":
        assert not db.exists(), "nothing may be created"
    else:
        assert db.stat().st_size == 0
    # The one explicit way to start fresh says what it did; then serve works.
    code, out = _cli("migrate", data_dir=data)
    assert code == 0 and "created a new, empty database" in out, out
    code, out = _serve(data)
    assert code is None, out


def test_demo_mode_still_starts_on_a_fresh_folder(tmp_path: Path) -> None:
    server = start_server(tmp_path / "fresh")
    server.stop()


@pytest.mark.postgres
def test_postgres_without_our_schema_is_refused(postgres_database_url: str, tmp_path: Path) -> None:
    code, out = _serve(tmp_path, database_url=postgres_database_url)
    assert code not in (None, 0), out
    assert "kiosk-server migrate" in out and "Traceback" not in out, out
    assert "kiosk_test:" not in out or "***" in out  # never the password in clear
    code, out = _cli("migrate", data_dir=tmp_path, database_url=postgres_database_url)
    assert code == 0, out
    code, out = _serve(tmp_path, database_url=postgres_database_url)
    assert code is None, out
