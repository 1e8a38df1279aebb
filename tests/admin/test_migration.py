"""The admin tables' migration (0002): one Alembic head, and it upgrades from the first
schema and downgrades back cleanly on a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from kiosk.server.db import MIGRATIONS_DIR, Database, migrate

ADMIN_TABLES = {"admin_sessions", "login_backoff", "known_devices", "admin_drafts", "admin_audit"}


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def test_exactly_one_head() -> None:
    assert len(ScriptDirectory.from_config(_config()).get_heads()) == 1


def test_upgrade_from_the_first_schema_and_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kiosk.sqlite3'}"
    cfg = _config()
    db = Database(url)
    try:
        with db.writer.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0001")
        assert not ADMIN_TABLES & set(sa.inspect(db.reader).get_table_names())
    finally:
        db.close()
    migrate(url)
    db = Database(url)
    try:
        assert set(sa.inspect(db.reader).get_table_names()) >= ADMIN_TABLES
        with db.writer.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0001")
        assert not ADMIN_TABLES & set(sa.inspect(db.reader).get_table_names())
    finally:
        db.close()
