"""``kiosk-server`` commands for who may log in: create-admin, add-staff (``--leader`` for
the hall's 负责人), set-role, add-kiosk, revoke-kiosk — and load-demo, which adds the
demo halls' content."""

from __future__ import annotations

import argparse
import getpass
import sys

from kiosk.server.cli_setup import migrate_checked, settings_from

__all__ = [
    "cmd_add_kiosk",
    "cmd_add_staff",
    "cmd_create_admin",
    "cmd_load_demo",
    "cmd_revoke_kiosk",
    "cmd_set_role",
]


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

    settings = settings_from(args)
    migrate_checked(settings)
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
    _add_staff(args, "hall_leader" if getattr(args, "leader", False) else "hall_staff", args.hall)


def cmd_set_role(args: argparse.Namespace) -> None:
    """Make a hall account its hall's leader or a plain staff member; its logins stay."""
    import sqlalchemy as sa

    from kiosk.server import models as m
    from kiosk.server.auth import HALL_ROLES
    from kiosk.server.db import Database

    if args.role not in HALL_ROLES:
        raise SystemExit(f"role must be one of {', '.join(HALL_ROLES)}")
    settings = settings_from(args)
    migrate_checked(settings)
    db = Database(settings.sqlalchemy_url)
    a = m.staff_accounts
    try:

        def change(conn: sa.engine.Connection) -> None:
            row = conn.execute(sa.select(a.c.id, a.c.role).where(a.c.username == args.username))
            found = row.first()
            if found is None:
                raise SystemExit(f"no user {args.username!r}")
            if found.role not in HALL_ROLES:
                raise SystemExit(f"{args.username!r} is a district admin, not a hall account")
            conn.execute(sa.update(a).where(a.c.id == found.id).values(role=args.role))

        db.write_sync(change)
    finally:
        db.close()
    print(f"{args.username!r} is now {args.role}")


def cmd_add_kiosk(args: argparse.Namespace) -> None:
    import sqlalchemy as sa

    from kiosk.server import models as m
    from kiosk.server.auth import create_kiosk
    from kiosk.server.db import Database

    settings = settings_from(args)
    migrate_checked(settings)
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

    settings = settings_from(args)
    migrate_checked(settings)
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

    settings = settings_from(args)
    migrate_checked(settings)
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
