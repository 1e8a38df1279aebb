"""Staff logins of the admin web: server-side sessions and the failed-login throttle.

A session is a random cookie value; the database keeps only its SHA-256, the account, a
per-session CSRF token and the expiry (idle and absolute). Failed logins are counted in
the database per username and per client address, so the limits hold across processes:
after :data:`SLOW_AFTER` failures each further try must wait a growing delay, after
:data:`LOCK_AFTER` (per username) or :data:`IP_LOCK_AFTER` (per address) the key is
locked for :data:`LOCK_MINUTES`. A successful login clears the username's count.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.server import models as m
from kiosk.server.admin.tables import admin_sessions, login_failures
from kiosk.server.auth import StaffPrincipal, token_hash
from kiosk.server.db import as_utc, utcnow

__all__ = [
    "IDLE_HOURS",
    "IP_LOCK_AFTER",
    "LOCK_AFTER",
    "LOCK_MINUTES",
    "SLOW_AFTER",
    "LoginRefusal",
    "StaffSession",
    "check_login_allowed",
    "end_session",
    "find_session",
    "record_login_failure",
    "record_login_success",
    "start_session",
]

IDLE_HOURS = 8
ABSOLUTE_HOURS = 24
SLOW_AFTER = 3
LOCK_AFTER = 5
IP_LOCK_AFTER = 20
LOCK_MINUTES = 15
_FORGET_AFTER = dt.timedelta(minutes=LOCK_MINUTES)


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


@dataclass(frozen=True, slots=True)
class LoginRefusal:
    """Why a login may not even be tried now (shown to the person)."""

    message: str
    retry_after: int  # seconds


def _keys(username: str, client_ip: str) -> tuple[str, str]:
    return f"user:{username.strip().lower()[:150]}", f"ip:{client_ip[:60]}"


def _delay(failures: int) -> int:
    """Seconds to wait after ``failures`` failures before the next try is accepted."""
    if failures < SLOW_AFTER:
        return 0
    return min(2 ** (failures - SLOW_AFTER + 1), 60)


def check_login_allowed(conn: Connection, username: str, client_ip: str) -> LoginRefusal | None:
    now = utcnow()
    for key in _keys(username, client_ip):
        row = conn.execute(sa.select(login_failures).where(login_failures.c.key == key)).first()
        if row is None:
            continue
        locked = as_utc(row.locked_until)
        if locked is not None and locked > now:
            minutes = max(1, int((locked - now).total_seconds() // 60) + 1)
            what = "该账户" if key.startswith("user:") else "本设备"
            return LoginRefusal(
                f"{what}登录失败次数过多，已锁定，请 {minutes} 分钟后再试或联系街道管理员",
                int((locked - now).total_seconds()) + 1,
            )
        last = as_utc(row.last_failure_at) or now
        if now - last > _FORGET_AFTER:
            continue
        if key.startswith("user:"):
            wait_until = last + dt.timedelta(seconds=_delay(row.failures))
            if wait_until > now:
                seconds = int((wait_until - now).total_seconds()) + 1
                return LoginRefusal(f"尝试过于频繁，请 {seconds} 秒后再试", seconds)
    return None


def record_login_failure(conn: Connection, username: str, client_ip: str) -> None:
    now = utcnow()
    for key, limit in zip(_keys(username, client_ip), (LOCK_AFTER, IP_LOCK_AFTER), strict=True):
        row = conn.execute(sa.select(login_failures).where(login_failures.c.key == key)).first()
        if row is None:
            conn.execute(
                sa.insert(login_failures).values(
                    key=key, failures=1, last_failure_at=now, locked_until=None
                )
            )
            continue
        last = as_utc(row.last_failure_at) or now
        locked = as_utc(row.locked_until)
        expired = now - last > _FORGET_AFTER and (locked is None or locked <= now)
        failures = 1 if expired else row.failures + 1
        values: dict[str, Any] = {"failures": failures, "last_failure_at": now}
        if failures >= limit:
            values["locked_until"] = now + dt.timedelta(minutes=LOCK_MINUTES)
        elif expired:
            values["locked_until"] = None
        conn.execute(sa.update(login_failures).where(login_failures.c.key == key).values(values))


def record_login_success(conn: Connection, username: str) -> None:
    user_key, _ = _keys(username, "")
    conn.execute(sa.delete(login_failures).where(login_failures.c.key == user_key))


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
