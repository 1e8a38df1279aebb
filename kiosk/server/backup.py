"""Backups a hall can trust: taken while the server runs, checked, kept N deep; restores
that check before they replace anything.

- SQLite: SQLite's online backup API copies the live database in one read transaction
  (WAL: the server's writers go on meanwhile) into a temporary file beside the target;
  the copy gets a full ``PRAGMA integrity_check`` and must hold our schema;
  only then is it renamed into place (``kiosk-YYYYMMDD-HHMMSS-mmm.sqlite3``, UTC) and fsynced.
  The oldest copies beyond ``keep`` are removed.
- PostgreSQL: ``pg_dump --format=custom``, then ``pg_restore --list`` of the dump as its
  check. Same naming (``.pgdump``) and pruning.

``restore`` checks the backup the same way first; then, for SQLite, it refuses while a
process has the database open (the server must be stopped), moves the current file and its
``-wal``/``-shm`` aside (``….before-restore-<time>``, never deleted) and puts a copy of the
backup in place. For PostgreSQL it runs ``pg_restore --clean --if-exists
--single-transaction`` into the configured database.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from kiosk.core import clock
from kiosk.server.integrity import sqlite_path

__all__ = [
    "BackupProblem",
    "BackupResult",
    "backup",
    "check_backup",
    "list_backups",
    "open_by_a_process",
    "restore",
]

#: Tables a backup must hold to be a hall database of ours.
REQUIRED_TABLES = ("alembic_version", "halls", "tickets", "staff_accounts", "kiosk_devices")
_SQLITE_SUFFIX = ".sqlite3"
_PG_SUFFIX = ".pgdump"
_PREFIX = "kiosk-"


class BackupProblem(RuntimeError):
    """The backup or restore cannot go on; the message says why (in Chinese)."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    removed: tuple[Path, ...]


def _stamp() -> str:
    """The hall-independent UTC time, to the millisecond: names sort by time."""
    return clock.now().strftime("%Y%m%d-%H%M%S-%f")[:-3]


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def list_backups(folder: Path) -> list[Path]:
    """Our backup files in ``folder``, oldest first (names sort by time)."""
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.name.startswith(_PREFIX) and p.suffix in (_SQLITE_SUFFIX, _PG_SUFFIX)
    )


def _check_sqlite_copy(path: Path) -> None:
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupProblem(f"备份文件无法打开：{path}：{exc}") from exc
    try:
        rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check(5)").fetchall()]
        if rows != ["ok"]:
            raise BackupProblem(f"备份文件已损坏：{path}：{'；'.join(rows)}")
        names = {
            str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
    except sqlite3.DatabaseError as exc:
        raise BackupProblem(f"备份文件不是可用的 SQLite 数据库：{path}：{exc}") from exc
    finally:
        conn.close()
    missing = [t for t in REQUIRED_TABLES if t not in names]
    if missing:
        raise BackupProblem(f"备份文件里缺少本系统的表 {'、'.join(missing)}：{path}")


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupProblem(f"找不到 {name}（Debian 的 postgresql-client 软件包提供它）")
    return found


def _libpq_url(url: str) -> str:
    """A SQLAlchemy URL as libpq understands it (no ``+psycopg`` driver part)."""
    return (
        sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    )


def _check_pg_dump(path: Path) -> None:
    listed = subprocess.run(
        [_pg_tool("pg_restore"), "--list", str(path)], capture_output=True, text=True
    )
    if listed.returncode != 0:
        raise BackupProblem(f"备份文件无法读取：{path}：{listed.stderr.strip()}")
    missing = [t for t in REQUIRED_TABLES if f" TABLE public {t} " not in listed.stdout]
    if missing:
        raise BackupProblem(f"备份文件里缺少本系统的表 {'、'.join(missing)}：{path}")


def check_backup(path: Path) -> None:
    """Raise :class:`BackupProblem` unless ``path`` is a whole backup of ours."""
    if not path.is_file() or path.stat().st_size == 0:
        raise BackupProblem(f"备份文件不存在或为空：{path}")
    if path.suffix == _PG_SUFFIX:
        _check_pg_dump(path)
    else:
        _check_sqlite_copy(path)


def backup(url: str, folder: Path, *, keep: int = 14) -> BackupResult:
    """Take a checked backup of the database at ``url`` into ``folder``; keep ``keep``."""
    if keep < 1:
        raise BackupProblem("keep 至少为 1")
    folder.mkdir(parents=True, exist_ok=True)
    source = sqlite_path(url)
    is_sqlite = sa.engine.make_url(url).drivername.startswith("sqlite")
    target = folder / f"{_PREFIX}{_stamp()}{_SQLITE_SUFFIX if is_sqlite else _PG_SUFFIX}"
    partial = folder / f".{target.name}.partial"  # never listed, never restored from
    try:
        if is_sqlite:
            if source is None or not source.is_file():
                raise BackupProblem(f"没有可备份的数据库文件：{source}")
            _sqlite_online_copy(source, partial)
        else:
            dumped = subprocess.run(
                [_pg_tool("pg_dump"), "--format=custom", "--file", str(partial), _libpq_url(url)],
                capture_output=True,
                text=True,
            )
            if dumped.returncode != 0:
                raise BackupProblem(f"pg_dump 失败：{dumped.stderr.strip()}")
        with partial.open("rb") as fh:
            os.fsync(fh.fileno())
        (_check_sqlite_copy if is_sqlite else _check_pg_dump)(partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(target)
    _fsync_dir(folder)
    kept = list_backups(folder)
    removed = tuple(kept[:-keep]) if len(kept) > keep else ()
    for old in removed:
        old.unlink(missing_ok=True)
    return BackupResult(target, target.stat().st_size, removed)


def _sqlite_online_copy(source: Path, partial: Path) -> None:
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        # All pages in one step: one read transaction, a consistent snapshot. In WAL mode a
        # reader never blocks the server's writers; stepping a few pages at a time would
        # restart the copy after every ticket written in between and might never finish.
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    except sqlite3.DatabaseError as exc:
        raise BackupProblem(f"备份失败：{exc}") from exc
    finally:
        dst.close()
        src.close()


def open_by_a_process(path: Path) -> list[int]:
    """Process ids that hold ``path`` open (Linux /proc); empty where /proc is not there."""
    wanted = {str(path.resolve())}
    wanted |= {w + suffix for w in list(wanted) for suffix in ("-wal", "-shm")}
    holders: list[int] = []
    proc = Path("/proc")
    if not proc.is_dir():
        return holders
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                try:
                    if os.readlink(fd) in wanted:
                        holders.append(int(entry.name))
                        break
                except OSError:
                    continue
        except OSError:
            continue
    return holders


def restore(url: str, backup_file: Path) -> Path | None:
    """Put ``backup_file`` in place of the database at ``url`` after checking it.

    Returns where the replaced SQLite file was moved (None for PostgreSQL or when there
    was no file).
    """
    check_backup(backup_file)
    target = sqlite_path(url)
    if sa.engine.make_url(url).drivername.startswith("sqlite"):
        if backup_file.suffix != _SQLITE_SUFFIX:
            raise BackupProblem(f"{backup_file} 是 PostgreSQL 的备份，不能恢复到 SQLite")
        if target is None:
            raise BackupProblem("内存数据库无法恢复")
        holders = open_by_a_process(target) if target.exists() else []
        if holders:
            raise BackupProblem(
                f"数据库正被进程 {', '.join(map(str, holders))} 使用：请先停止 kiosk-server 再恢复"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        incoming = target.with_name(target.name + ".restoring")
        shutil.copyfile(backup_file, incoming)
        with incoming.open("rb") as fh:
            os.fsync(fh.fileno())
        moved: Path | None = None
        if target.exists():
            moved = target.with_name(f"{target.name}.before-restore-{_stamp()}")
            target.rename(moved)
        for suffix in ("-wal", "-shm"):
            side = target.with_name(target.name + suffix)
            if side.exists():
                side.rename(side.with_name(f"{side.name}.before-restore-{_stamp()}"))
        incoming.replace(target)
        _fsync_dir(target.parent)
        return moved
    if backup_file.suffix != _PG_SUFFIX:
        raise BackupProblem(
            f"{backup_file} 是 SQLite 的备份，请用 move-to-postgres 迁到 PostgreSQL"
        )
    done = subprocess.run(
        [
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--dbname",
            _libpq_url(url),
            str(backup_file),
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BackupProblem(f"pg_restore 失败（数据库未改动）：{done.stderr.strip()}")
    return None
