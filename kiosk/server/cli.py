"""``kiosk-server``: serve, demo, new-data-key, migrate, backup, restore, move-to-postgres,
create-admin, add-staff (--leader), set-role, add-kiosk, load-demo.

This module is the command line (its parser) and the commands that run the server; the
account commands are :mod:`kiosk.server.cli_accounts`', the backup commands
:mod:`kiosk.server.cli_backups`'.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from pathlib import Path
from typing import Any

from kiosk.server.cli_accounts import (
    cmd_add_kiosk,
    cmd_add_staff,
    cmd_create_admin,
    cmd_load_demo,
    cmd_revoke_kiosk,
    cmd_set_role,
)
from kiosk.server.cli_backups import cmd_backup, cmd_list_backups, cmd_move_to_postgres, cmd_restore
from kiosk.server.cli_setup import database_address, migrate_checked, settings_from
from kiosk.server.settings import CONFIG_ENV, ServerSettings

__all__ = ["main"]


def _export(settings: ServerSettings, config: str | None) -> None:
    """Hand the settings to uvicorn's worker processes through the environment."""
    if config:
        os.environ[CONFIG_ENV] = str(Path(config).resolve())
    for name, value in settings.model_dump().items():
        text = json.dumps(value) if isinstance(value, list | dict) else str(value)
        os.environ[f"KIOSK_SERVER_{name.upper()}"] = text


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


def _require_data_key(settings: ServerSettings) -> None:
    from kiosk.server.personal import DataKeyMissing, require_key

    try:
        require_key(settings)
    except DataKeyMissing as exc:
        raise SystemExit(f"kiosk-server: {exc}") from None


def _demo_data_key(settings: ServerSettings) -> ServerSettings:
    """The demo's data key: kept in ``data_dir/demo-data-key`` (made once), handed to the
    worker processes through the environment."""
    from kiosk.server.personal import new_data_key

    if settings.data_key:
        return settings
    path = settings.data_dir / "demo-data-key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(new_data_key() + "\n")
    key = path.read_text().strip()
    os.environ["KIOSK_SERVER_DATA_KEY"] = key
    return settings.model_copy(update={"data_key": key})


def cmd_new_data_key(_args: argparse.Namespace) -> None:
    from kiosk.server.personal import new_data_key

    print(new_data_key())


def cmd_serve(args: argparse.Namespace) -> None:
    settings = settings_from(args)
    _require_data_key(settings)
    migrate_checked(settings)
    _run(settings, args.config)


def cmd_demo(args: argparse.Namespace) -> None:
    from kiosk.server.db import Database
    from kiosk.server.seeding import ensure_demo_logins, load_demo

    settings = _demo_data_key(settings_from(args, demo_mode=True))
    migrate_checked(settings)
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
        lead = creds.get("leaders", {}).get(hall_id)
        if lead:
            print(f"  {hall_id}: leader {lead['username']} / {lead['password']}")
        print(f"  {hall_id}: kiosk token {kiosk['token']}")
    print(f"  credentials file: {(settings.data_dir / CREDENTIALS_FILE).resolve()}", flush=True)


def cmd_migrate(args: argparse.Namespace) -> None:
    settings = settings_from(args)
    created = migrate_checked(settings, may_create=True)
    if created:
        print(f"created a new, empty database: {database_address(settings)}")
    print("database is up to date")


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
        "new-data-key", help="print a new random data key (data_key: seals personal data)"
    )
    p.set_defaults(func=cmd_new_data_key)

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
    p.add_argument("--leader", action="store_true", help="the hall's leader (负责人)")
    p.add_argument("--password-stdin", action="store_true")
    p.set_defaults(func=cmd_add_staff)

    p = sub.add_parser(
        "set-role", help="make a hall staff account the hall's leader (负责人) or back"
    )
    common(p)
    p.add_argument("username")
    p.add_argument("role", choices=["hall_staff", "hall_leader"])
    p.set_defaults(func=cmd_set_role)

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
