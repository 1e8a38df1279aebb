"""A real, private PostgreSQL server for the test session and for bench/ scripts.

The suite never talks to a shared or system PostgreSQL: it runs ``initdb`` into a fresh
temporary folder, starts ``postgres`` listening on 127.0.0.1 only, on a free port, with its
unix socket in that folder and ``fsync`` on (durability is under test), and removes it all
at the end. As root, PostgreSQL refuses to run, so the folder is handed to the ``postgres``
system user and the binaries run through ``runuser -u postgres --``.

The pytest fixtures over it (``postgres_url``, ``postgres_database_url``, a loud skip
where there is none) are in tests/utils/postgres.py.

Outside pytest: ``with PrivatePostgres() as pg: url = pg.create_database()``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

__all__ = ["PostgresUnavailable", "PrivatePostgres", "find_bin_dir", "free_port"]

SUPERUSER = "kiosk_test"
DEFAULT_DB = "kiosk_test"


class PostgresUnavailable(RuntimeError):
    """PostgreSQL is not installed here, or it would not start."""


def find_bin_dir() -> Path:
    """The newest ``/usr/lib/postgresql/*/bin`` (or ``$KIOSK_PG_BINDIR``) holding initdb."""
    override = os.environ.get("KIOSK_PG_BINDIR")
    if override:
        if (Path(override) / "initdb").is_file() and (Path(override) / "pg_ctl").is_file():
            return Path(override)
        raise PostgresUnavailable(f"KIOSK_PG_BINDIR={override} holds no initdb and pg_ctl")
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
        reverse=True,
    )
    for cand in candidates:
        if (Path(cand) / "initdb").is_file() and (Path(cand) / "pg_ctl").is_file():
            return Path(cand)
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).parent
    raise PostgresUnavailable(
        "PostgreSQL server binaries not found (looked in /usr/lib/postgresql/*/bin and PATH); "
        "install Debian's `postgresql` package (scripts/system-deps.sh does it as root)"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivatePostgres:
    """One throwaway PostgreSQL cluster: ``start()``, ``create_database()``, ``stop()``."""

    def __init__(self, *, max_connections: int = 300) -> None:
        self.bin_dir = find_bin_dir()
        self.max_connections = max_connections
        self.root: Path | None = None
        self.port = 0
        self._as_postgres = os.geteuid() == 0
        self._started = False

    # -- plumbing -------------------------------------------------------------------------
    def _cmd(self, *args: str) -> list[str]:
        if self._as_postgres:
            if shutil.which("runuser") is None:
                raise PostgresUnavailable("running as root but `runuser` is missing")
            return ["runuser", "-u", "postgres", "--", *args]
        return list(args)

    def _run(self, *args: str, timeout: float = 120) -> None:
        proc = subprocess.run(
            self._cmd(*args),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
        if proc.returncode != 0:
            raise PostgresUnavailable(
                f"`{' '.join(args[:2])}` failed (rc={proc.returncode}):\n{proc.stdout[-3000:]}"
            )

    @property
    def data_dir(self) -> Path:
        assert self.root is not None
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        assert self.root is not None
        return self.root

    def url(self, database: str = DEFAULT_DB) -> str:
        """SQLAlchemy URL (psycopg 3 driver) of ``database`` on this server."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def dsn(self, database: str = DEFAULT_DB) -> str:
        """libpq connection string of ``database`` (for psycopg directly)."""
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname={database}"

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> PrivatePostgres:
        # Not under pytest's tmp (mode 0700, root's): the postgres user must reach it.
        self.root = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
        os.chmod(self.root, 0o700)
        if self._as_postgres:
            try:
                import pwd

                pw = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise PostgresUnavailable("running as root but no `postgres` user") from exc
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self._run(
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-instructions",
        )
        last_error = ""
        for _attempt in range(3):  # the free port may be taken between probe and bind
            self.port = free_port()
            opts = " ".join(
                [
                    "-c listen_addresses=127.0.0.1",
                    f"-p {self.port}",
                    f"-c unix_socket_directories={self.socket_dir}",
                    "-c fsync=on",
                    "-c synchronous_commit=on",
                    "-c full_page_writes=on",
                    f"-c max_connections={self.max_connections}",
                    "-c log_min_messages=warning",
                ]
            )
            try:
                self._run(
                    str(self.bin_dir / "pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-l",
                    str(self.root / "server.log"),
                    "-o",
                    opts,
                    "-w",
                    "-t",
                    "60",
                    "start",
                )
            except PostgresUnavailable as exc:
                last_error = f"{exc}\n{self.log_tail()}"
                continue
            self._started = True
            break
        else:
            self.stop()
            raise PostgresUnavailable(f"postgres would not start:\n{last_error}")
        self._execute(f'CREATE DATABASE "{DEFAULT_DB}"', database="postgres")
        return self

    def log_tail(self, chars: int = 2000) -> str:
        if self.root is None:
            return ""
        with contextlib.suppress(OSError):
            return (self.root / "server.log").read_text(errors="replace")[-chars:]
        return ""

    def stop(self) -> None:
        if self.root is None:
            return
        if self._started:
            with contextlib.suppress(Exception):
                self._run(
                    str(self.bin_dir / "pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-m",
                    "immediate",
                    "-w",
                    "-t",
                    "30",
                    "stop",
                    timeout=60,
                )
            self._started = False
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def __enter__(self) -> PrivatePostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- databases ------------------------------------------------------------------------
    def _execute(self, sql: str, *, database: str = DEFAULT_DB) -> None:
        import psycopg

        with psycopg.connect(self.dsn(database), autocommit=True, connect_timeout=30) as conn:
            conn.execute(sql)  # our own literal SQL

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        self._execute(f'CREATE DATABASE "{name}"', database="postgres")
        return self.url(name)

    def drop_database(self, url_or_name: str) -> None:
        name = url_or_name.rsplit("/", 1)[-1]
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', database="postgres")
