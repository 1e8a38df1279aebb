"""``kiosk-server`` commands for the data's safety: backup, restore, list-backups and
move-to-postgres."""

from __future__ import annotations

import argparse
from pathlib import Path

from kiosk.server.cli_setup import database_address, settings_from
from kiosk.server.settings import ServerSettings

__all__ = ["cmd_backup", "cmd_list_backups", "cmd_move_to_postgres", "cmd_restore"]


def _backup_folder(settings: ServerSettings, given: Path | None) -> Path:
    return given if given is not None else settings.data_dir / "backups"


def cmd_backup(args: argparse.Namespace) -> None:
    from kiosk.server.backup import BackupProblem, backup
    from kiosk.server.integrity import DatabaseProblem, check_database

    settings = settings_from(args)
    try:
        check_database(settings.sqlalchemy_url, may_create=False)
        result = backup(settings.sqlalchemy_url, _backup_folder(settings, args.out), keep=args.keep)
    except (BackupProblem, DatabaseProblem) as exc:
        raise SystemExit(f"kiosk-server backup: {exc}") from None
    print(f"backup written and checked: {result.path} ({result.size} bytes)")
    for old in result.removed:
        print(f"  removed old backup {old.name} (keeping {args.keep})")


def cmd_restore(args: argparse.Namespace) -> None:
    from kiosk.server.backup import BackupProblem, restore

    settings = settings_from(args)
    try:
        moved = restore(settings.sqlalchemy_url, args.backup_file)
    except BackupProblem as exc:
        raise SystemExit(f"kiosk-server restore: {exc}") from None
    print(f"restored {args.backup_file} into {database_address(settings)}")
    if moved is not None:
        print(f"  the database it replaced was kept as {moved}")


def cmd_list_backups(args: argparse.Namespace) -> None:
    from kiosk.server.backup import list_backups

    settings = settings_from(args)
    for path in list_backups(_backup_folder(settings, args.out)):
        print(f"{path}\t{path.stat().st_size}")


def cmd_move_to_postgres(args: argparse.Namespace) -> None:
    import sqlalchemy as sa

    from kiosk.server.backup import BackupProblem
    from kiosk.server.move import move_to_postgres

    settings = settings_from(args)
    try:
        result = move_to_postgres(
            settings.sqlalchemy_url, args.to, progress=lambda m: print(f"  {m}", flush=True)
        )
    except BackupProblem as exc:
        raise SystemExit(f"kiosk-server move-to-postgres: {exc}") from None
    target = sa.engine.make_url(args.to).render_as_string()
    print(f"moved {sum(result.rows.values())} rows ({result.tickets} tickets) into {target}")
    print("next: set database_url in the server's settings to the PostgreSQL address, then")
    print("      start the server again; kiosks keep their tokens and notice nothing.")
    print(f"      The SQLite file is left as it was: {database_address(settings)}")
