"""The failed-login throttle shared by every way a staff member logs in: the admin web's
login form and ``POST /auth/token``. One copy of the rules, kept in the database (table
``login_failures``) so the limits hold across server processes.

Failures are counted per username and per client address: after :data:`SLOW_AFTER`
failures of a username each further try must wait a growing delay (2, 4, 8 … s, at most
60 s), after :data:`LOCK_AFTER` failures the username is locked, after
:data:`IP_LOCK_AFTER` failures the address is locked, each for :data:`LOCK_MINUTES`.
Counts are forgotten :data:`LOCK_MINUTES` after the last failure; a successful login
clears the username's count. Callers check before verifying the password (a refused try
is refused even with the right password) and record the outcome after.

Imported by :mod:`kiosk.server.admin.sessions` (which re-exports it) and
:mod:`kiosk.server.api.routes.auth`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.server.db import as_utc, utcnow
from kiosk.server.models import Time, metadata

__all__ = [
    "IP_LOCK_AFTER",
    "LOCK_AFTER",
    "LOCK_MINUTES",
    "SLOW_AFTER",
    "LoginRefusal",
    "check_login_allowed",
    "login_failures",
    "record_login_failure",
    "record_login_success",
]

SLOW_AFTER = 3
LOCK_AFTER = 5
IP_LOCK_AFTER = 20
LOCK_MINUTES = 15
_FORGET_AFTER = dt.timedelta(minutes=LOCK_MINUTES)

#: Created by migration 0002 (the admin web's); listed with its tables in admin/tables.py.
login_failures = sa.Table(
    "login_failures",
    metadata,
    # "user:NAME" or "ip:ADDRESS"
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failure_at", Time, nullable=False),
    sa.Column("locked_until", Time, nullable=True),
)


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
    return int(min(2 ** (failures - SLOW_AFTER + 1), 60))


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
