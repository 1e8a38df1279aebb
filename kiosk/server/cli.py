"""``kiosk-server``: serve, demo, migrate, backup, restore, move-to-postgres, create-admin,
add-staff, add-kiosk, load-demo."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kiosk.server.settings import CONFIG_ENV, ServerSettings, build_settings

__all__ = ["main"]


def _settings(args: argparse.Namespace, **extra: Any) -> ServerSettings:
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


def _export(settings: ServerSettings, config: str | None) -> None:
    """Hand the settings to uvicorn's worker processes through the environment."""
    if config:
        os.environ[CONFIG_ENV] = str(Path(config).resolve())
    for name, value in settings.model_dump().items():
        text = json.dumps(value) if isinstance(value, list | dict) else str(value)
        os.environ[f"KIOSK_SERVER_{name.upper()}"] = text


def _migrate(settings: ServerSettings, *, may_create: bool = False) -> bool:
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


def _run(settings: ServerSettings, config: str | None) -> None:
    import uvicorn

    _export(settings, config)
    uvicorn.run(
        "kiosk.server.app:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        http="httptools",
        log_level=settings.log_level,
        access_log=False,
        # X-Forwarded-For is read by kiosk.server.addresses, from settings.trusted_proxies only.
        proxy_headers=False,
        timeout_graceful_shutdown=5,
    )


def cmd_serve(args: argparse.Namespace) -> None:
    settings = _settings(args)
    _migrate(settings)
    _run(settings, args.config)


def cmd_demo(args: argparse.Namespace) -> None:
    from kiosk.server.db import Database
    from kiosk.server.seeding import ensure_demo_logins, load_demo

    settings = _settings(args, demo_mode=True)
    _migrate(settings)
    db = Database(settings.sqlalchemy_url)
    try:
        loaded = db.write_sync(load_demo) if not args.no_demo_data else []
        creds = ensure_demo_logins(db, settings.data_dir, settings.base_url)
    finally:
        db.close()
    if loaded and not args.no_banner:
        print(f"已载入演示大厅 {len(loaded)} 个：{'、'.join(loaded)}")
    if not args.no_banner:
        _demo_banner(settings, creds)
    _run(settings, args.config)


def _demo_banner(settings: ServerSettings, creds: dict[str, Any]) -> None:
    from kiosk.server.seeding import CREDENTIALS_FILE

    print(f"居民之家 hall server (demo) on {settings.base_url}")
    print(f"  API docs:       {settings.base_url}/docs")
    print(f"  health:         {settings.base_url}/api/v1/health")
    print(f"  district admin: {creds['admin']['username']} / {creds['admin']['password']}")
    for hall_id, login in creds["staff"].items():
        kiosk = creds["kiosks"][hall_id]
        print(f"  {hall_id}: staff {login['username']} / {login['password']}")
        print(f"  {hall_id}: kiosk token {kiosk['token']}")
    print(f"  credentials file: {(settings.data_dir / CREDENTIALS_FILE).resolve()}", flush=True)


def cmd_migrate(args: argparse.Namespace) -> None:
    settings = _settings(args)
    created = _migrate(settings, may_create=True)
    if created:
        print(f"created a new, empty database: {_where(settings)}")
    print("database is up to date")


def _where(settings: ServerSettings) -> str:
    import sqlalchemy as sa

    return sa.engine.make_url(settings.sqlalchemy_url).render_as_string()


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            raise SystemExit("passwords differ")
    if len(password) < 8:
        raise SystemExit("password must have at least 8 characters")
    return password


def _add_staff(args: argparse.Namespace, role: str, hall_id: str | None) -> None:
    import sqlalchemy as sa

    from kiosk.server import models as m
    from kiosk.server.auth import create_staff
    from kiosk.server.db import Database

    settings = _settings(args)
    _migrate(settings)
    password = _password(args)
    db = Database(settings.sqlalchemy_url)
    try:

        def add(conn: sa.engine.Connection) -> int:
            if (
                hall_id is not None
                and conn.execute(sa.select(m.halls.c.id).where(m.halls.c.id == hall_id)).first()
                is None
            ):
                raise SystemExit(f"unknown hall {hall_id!r}")
            if (
                conn.execute(
                    sa.select(m.staff_accounts.c.id).where(
                        m.staff_accounts.c.username == args.username
                    )
                ).first()
                is not None
            ):
                raise SystemExit(f"user {args.username!r} exists already")
            return create_staff(conn, args.username, password, role, hall_id)  # type: ignore[arg-type]

        account_id = db.write_sync(add)
    finally:
        db.close()
    print(f"created {role} {args.username!r} (id {account_id})")


def cmd_create_admin(args: argparse.Namespace) -> None:
    _add_staff(args, "district_admin", None)


def cmd_add_staff(args: argparse.Namespace) -> None:
    _add_staff(args, "hall_staff", args.hall)


def cmd_add_kiosk(args: argparse.Namespace) -> None:
    import sqlalchemy as sa

    from kiosk.server import models as m
    from kiosk.server.auth import create_kiosk
    from kiosk.server.db import Database

    settings = _settings(args)
    _migrate(settings)
    db = Database(settings.sqlalchemy_url)
    try:

        def add(conn: sa.engine.Connection) -> tuple[int, int, str]:
            if (
                conn.execute(sa.select(m.halls.c.id).where(m.halls.c.id == args.hall_id)).first()
                is None
            ):
                raise SystemExit(f"unknown hall {args.hall_id!r}")
            return create_kiosk(conn, args.hall_id, args.name or "")

        device_id, kiosk_no, token = db.write_sync(add)
    finally:
        db.close()
    print(f"kiosk {device_id} (no. {kiosk_no} of {args.hall_id}); its token, shown only once:")
    print(token)


def cmd_revoke_kiosk(args: argparse.Namespace) -> None:
    import sqlalchemy as sa

    from kiosk.server import models as m
    from kiosk.server.db import Database, utcnow

    settings = _settings(args)
    _migrate(settings)
    db = Database(settings.sqlalchemy_url)
    try:
        changed = db.write_sync(
            lambda c: (
                c.execute(
                    sa.update(m.kiosk_devices)
                    .where(
                        m.kiosk_devices.c.id == args.device_id,
                        m.kiosk_devices.c.revoked_at.is_(None),
                    )
                    .values(revoked_at=utcnow())
                ).rowcount
            )
        )
    finally:
        db.close()
    if not changed:
        raise SystemExit(f"no active kiosk with id {args.device_id}")
    print(f"kiosk {args.device_id} revoked; its token stops working within seconds")


def cmd_load_demo(args: argparse.Namespace) -> None:
    from kiosk.server.db import Database
    from kiosk.server.seeding import load_demo

    settings = _settings(args)
    _migrate(settings)
    db = Database(settings.sqlalchemy_url)
    try:
        loaded = db.write_sync(load_demo)
    finally:
        db.close()
    print(
        f"loaded {len(loaded)} demo halls"
        if loaded
        else "database has halls already; nothing loaded"
    )


def _backup_folder(settings: ServerSettings, given: Path | None) -> Path:
    return given if given is not None else settings.data_dir / "backups"


def cmd_backup(args: argparse.Namespace) -> None:
    from kiosk.server.backup import BackupProblem, backup
    from kiosk.server.integrity import DatabaseProblem, check_database

    settings = _settings(args)
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

    settings = _settings(args)
    try:
        moved = restore(settings.sqlalchemy_url, args.backup_file)
    except BackupProblem as exc:
        raise SystemExit(f"kiosk-server restore: {exc}") from None
    print(f"restored {args.backup_file} into {_where(settings)}")
    if moved is not None:
        print(f"  the database it replaced was kept as {moved}")


def cmd_list_backups(args: argparse.Namespace) -> None:
    from kiosk.server.backup import list_backups

    settings = _settings(args)
    for path in list_backups(_backup_folder(settings, args.out)):
        print(f"{path}\t{path.stat().st_size}")


def cmd_move_to_postgres(args: argparse.Namespace) -> None:
    import sqlalchemy as sa

    from kiosk.server.backup import BackupProblem
    from kiosk.server.move import move_to_postgres

    settings = _settings(args)
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
    print(f"      The SQLite file is left as it was: {_where(settings)}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk-server", description="居民之家 hall server")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--config", help="TOML settings file (see config/server.example.toml)")
        p.add_argument("--data-dir", dest="data_dir", type=Path)
        p.add_argument("--database-url", dest="database_url")

    p = sub.add_parser("serve", help="run the configured server")
    common(p)
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int, help="number of server processes")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("demo", help="run with the demo halls (demo secrets allowed)")
    common(p)
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int)
    p.add_argument("--no-demo-data", action="store_true", help="start without the demo halls")
    p.add_argument(
        "--no-banner", action="store_true", help="print no logins (make run prints its own)"
    )
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "migrate", help="bring the database schema up to date (creates a new database)"
    )
    common(p)
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("create-admin", help="create a district administrator")
    common(p)
    p.add_argument("username")
    p.add_argument("--password-stdin", action="store_true")
    p.set_defaults(func=cmd_create_admin)

    p = sub.add_parser("add-staff", help="create a hall staff account")
    common(p)
    p.add_argument("username")
    p.add_argument("--hall", required=True, help="the hall's id")
    p.add_argument("--password-stdin", action="store_true")
    p.set_defaults(func=cmd_add_staff)

    p = sub.add_parser("add-kiosk", help="register a kiosk and print its token once")
    common(p)
    p.add_argument("hall_id")
    p.add_argument("--name")
    p.set_defaults(func=cmd_add_kiosk)

    p = sub.add_parser("revoke-kiosk", help="revoke a kiosk's token")
    common(p)
    p.add_argument("device_id", type=int)
    p.set_defaults(func=cmd_revoke_kiosk)

    p = sub.add_parser("backup", help="take a checked backup while the server runs")
    common(p)
    p.add_argument("--out", type=Path, help="folder for backups (default DATA_DIR/backups)")
    p.add_argument("--keep", type=int, default=14, help="how many backups to keep (14)")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("list-backups", help="the backups in the folder, oldest first")
    common(p)
    p.add_argument("--out", type=Path, help="folder for backups (default DATA_DIR/backups)")
    p.set_defaults(func=cmd_list_backups)

    p = sub.add_parser("restore", help="check a backup, then put it in place (server stopped)")
    common(p)
    p.add_argument("backup_file", type=Path)
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser(
        "move-to-postgres", help="copy this SQLite database into a new PostgreSQL (stopped)"
    )
    common(p)
    p.add_argument("--to", required=True, help="postgresql+psycopg://user:pass@host/db")
    p.set_defaults(func=cmd_move_to_postgres)

    p = sub.add_parser("load-demo", help="load the demo halls into an empty database")
    common(p)
    p.set_defaults(func=cmd_load_demo)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
