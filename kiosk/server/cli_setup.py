"""What every ``kiosk-server`` command starts with: its settings (from the command line,
the config file and the environment) and a database checked and migrated."""

from __future__ import annotations

import argparse
from typing import Any

from pydantic import ValidationError

from kiosk.server.settings import ServerSettings, build_settings

__all__ = ["database_address", "migrate_checked", "settings_from"]


def settings_from(args: argparse.Namespace, **extra: Any) -> ServerSettings:
    overrides: dict[str, Any] = {k: v for k, v in extra.items() if v is not None}
    for name in ("host", "port", "workers", "data_dir", "database_url"):
        value = getattr(args, name, None)
        if value is not None:
            overrides[name] = value
    try:
        return build_settings(getattr(args, "config", None), **overrides)
    except ValidationError as exc:
        raise SystemExit(f"kiosk-server: bad settings:\n{exc}") from None
    except FileNotFoundError as exc:
        raise SystemExit(f"kiosk-server: {exc}") from None


def migrate_checked(settings: ServerSettings, *, may_create: bool = False) -> bool:
    """Check the database is whole (integrity.py), then migrate it. True: it was new.

    A missing or empty database is created only in demo mode or when ``may_create`` (the
    ``migrate`` command); otherwise, and for a damaged one, the command stops with what was
    found and how to restore, and touches nothing.
    """
    from kiosk.server.db import migrate
    from kiosk.server.integrity import DatabaseProblem, check_database

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        state = check_database(settings.sqlalchemy_url, may_create=may_create or settings.demo_mode)
    except DatabaseProblem as exc:
        raise SystemExit(f"kiosk-server: {exc}") from None
    migrate(settings.sqlalchemy_url)
    return not state.existed


def database_address(settings: ServerSettings) -> str:
    import sqlalchemy as sa

    return sa.engine.make_url(settings.sqlalchemy_url).render_as_string()
