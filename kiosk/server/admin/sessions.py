"""Staff logins of the admin web: server-side sessions and the failed-login throttle.

A session is a random cookie value; the database keeps only its SHA-256, the account, a
per-session CSRF token and the expiry (idle and absolute). The failed-login throttle is
:mod:`kiosk.server.login_throttle` (shared with ``POST /auth/token``), re-exported here.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.server import models as m
from kiosk.server.auth import StaffPrincipal, revoke_staff_tokens, token_hash
from kiosk.server.db import as_utc, utcnow
from kiosk.server.login_throttle import (
    SLOW_AFTER,
    LoginRefusal,
    forget_known_devices,
    record_login_success,
    remember_device,
    reserve_login_attempt,
)
from kiosk.server.models import admin_sessions

__all__ = [
    "IDLE_HOURS",
    "SLOW_AFTER",
    "LoginRefusal",
    "StaffSession",
    "end_all_logins",
    "end_session",
    "find_session",
    "record_login_success",
    "remember_device",
    "reserve_login_attempt",
    "start_session",
]

IDLE_HOURS = 8
ABSOLUTE_HOURS = 24


@dataclass(frozen=True, slots=True)
class StaffSession:
    """A logged-in staff member of the admin web."""

    id_hash: str
    staff: StaffPrincipal
    display_name: str
    csrf_token: str

    @property
    def username(self) -> str:
        return self.staff.username


def start_session(conn: Connection, account_id: int, client_ip: str) -> tuple[str, dt.datetime]:
    """A new session for ``account_id``: (cookie value, expiry)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    expires = now + dt.timedelta(hours=IDLE_HOURS)
    conn.execute(
        sa.insert(admin_sessions).values(
            id_hash=token_hash(token),
            account_id=account_id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=expires,
            client_ip=client_ip[:64],
        )
    )
    # Sessions that ended long ago are of no use to anyone.
    conn.execute(
        sa.delete(admin_sessions).where(admin_sessions.c.expires_at < now - dt.timedelta(days=1))
    )
    return token, expires


def find_session(conn: Connection, token: str) -> tuple[StaffSession, bool] | None:
    """The live session for a cookie value, and whether its expiry should be extended."""
    if not token or len(token) > 200:
        return None
    row = conn.execute(
        sa.select(
            admin_sessions.c.id_hash,
            admin_sessions.c.csrf_token,
            admin_sessions.c.created_at,
            admin_sessions.c.last_seen_at,
            admin_sessions.c.expires_at,
            m.staff_accounts.c.id,
            m.staff_accounts.c.username,
            m.staff_accounts.c.role,
            m.staff_accounts.c.hall_id,
            m.staff_accounts.c.display_name,
            m.staff_accounts.c.disabled,
        )
        .select_from(admin_sessions.join(m.staff_accounts))
        .where(admin_sessions.c.id_hash == token_hash(token))
    ).first()
    if row is None or row.disabled:
        return None
    now = utcnow()
    expires = as_utc(row.expires_at)
    created = as_utc(row.created_at) or now
    if expires is None or expires <= now or now - created > dt.timedelta(hours=ABSOLUTE_HOURS):
        return None
    last_seen = as_utc(row.last_seen_at) or now
    session = StaffSession(
        id_hash=row.id_hash,
        staff=StaffPrincipal(row.id, row.username, row.role, row.hall_id),
        display_name=row.display_name or row.username,
        csrf_token=row.csrf_token,
    )
    return session, now - last_seen > dt.timedelta(minutes=1)


def touch_session(conn: Connection, id_hash: str) -> None:
    now = utcnow()
    conn.execute(
        sa.update(admin_sessions)
        .where(admin_sessions.c.id_hash == id_hash)
        .values(last_seen_at=now, expires_at=now + dt.timedelta(hours=IDLE_HOURS))
    )


def end_session(conn: Connection, id_hash: str) -> None:
    conn.execute(sa.delete(admin_sessions).where(admin_sessions.c.id_hash == id_hash))


def end_account_sessions(conn: Connection, account_id: int) -> None:
    conn.execute(sa.delete(admin_sessions).where(admin_sessions.c.account_id == account_id))


def end_all_logins(conn: Connection, account_id: int) -> None:
    """A new password, a disable or a logout-everywhere: every bearer token, admin session
    and known device of the account ends, in this one transaction, for good (enabling the
    account again brings none of them back)."""
    revoke_staff_tokens(conn, account_id)
    end_account_sessions(conn, account_id)
    forget_known_devices(conn, account_id)
