"""The login throttle shared by every way a staff member logs in: the admin web's login
form and ``POST /auth/token``. One copy of the rules, kept in the database (table
``login_backoff``) so the limits hold across server processes. See docs/SERVER.md
("Logins: backoff, not lock-out").

**An attempt is reserved before its password is verified.** :func:`reserve_login_attempt`
runs in one write transaction (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: the rows are
locked ``FOR UPDATE``): it refuses the attempt if any of its keys is still waiting, and
otherwise counts it on every key and sets when the next attempt of that key may come. So
a burst of parallel tries, from any number of server processes, verifies no more
passwords than the free attempts of the tightest key; the rest are refused unverified.

**Backoff, never lock-out.** Each key allows a few free attempts, then each further one
must wait a doubling delay up to a cap. The keys of an attempt:

- ``pair:USER|ADDRESS`` — this account from this client address: 3 free, then 2, 4, 8 …
  seconds, at most 15 minutes. This is what slows a guesser.
- ``ip:ADDRESS`` — any account from this address (password spraying): 30 free, then
  doubling from 2 s up to 5 minutes. A good login gives its attempt back.
- ``user:USER`` — this account from anywhere (a guesser with many addresses): 10 free, then
  doubling from 1 s, at most 30 seconds: it slows a distributed guesser but never keeps the
  owner out for long.
- ``device:ID`` — replaces all three when the attempt carries the account's **known-device
  token** (handed out after a good login: the admin web keeps it in a cookie, API clients
  get ``device_token``): 5 free, then doubling from 2 s up to 5 minutes. An attacker's
  failures from elsewhere therefore never slow the owner's own browser at all.

A key's count is forgotten after :data:`FORGET_AFTER` without attempts. A good login clears
its ``pair``, ``user`` and ``device`` keys. A refused attempt is not counted.

Imported by :mod:`kiosk.server.admin.sessions` (which re-exports it) and
:mod:`kiosk.server.api.routes.auth`.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import anyio.to_thread
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from kiosk.server import models as m
from kiosk.server.auth import token_hash, verify_password
from kiosk.server.db import Database, as_utc, utcnow
from kiosk.server.models import known_devices, login_backoff

__all__ = [
    "FORGET_AFTER",
    "RULES",
    "SLOW_AFTER",
    "Backoff",
    "LoginAccount",
    "LoginOk",
    "LoginRefusal",
    "forget_known_devices",
    "record_login_success",
    "remember_device",
    "reserve_login_attempt",
    "try_login",
]

T = TypeVar("T")

FORGET_AFTER = dt.timedelta(hours=1)
#: Known-device tokens kept per account (the oldest go first) and how long one lasts.
DEVICES_PER_ACCOUNT = 20
DEVICE_DAYS = 180


@dataclass(frozen=True, slots=True)
class Backoff:
    """Free attempts, then ``base`` × 2ⁿ seconds, at most ``cap``."""

    free: int
    base: float
    cap: float

    def delay(self, attempts: int) -> float:
        """Seconds the next attempt must wait after ``attempts`` attempts."""
        if attempts < self.free:
            return 0.0
        return float(min(self.base * 2 ** min(attempts - self.free, 30), self.cap))


RULES = {
    "pair": Backoff(free=3, base=2, cap=15 * 60),
    "ip": Backoff(free=30, base=2, cap=5 * 60),
    "user": Backoff(free=10, base=1, cap=30),
    "device": Backoff(free=5, base=2, cap=5 * 60),
}
#: Parallel tries of one account from one address that are verified at most.
SLOW_AFTER = RULES["pair"].free


@dataclass(frozen=True, slots=True)
class LoginRefusal:
    """Why a login may not even be tried now (shown to the person)."""

    message: str
    retry_after: int  # seconds


def _name(username: str) -> str:
    return username.strip().lower()[:150]


def _keys(username: str, client_ip: str, device_id: int | None) -> list[str]:
    if device_id is not None:
        return [f"device:{device_id}"]
    name, ip = _name(username), client_ip[:60]
    return [f"pair:{name}|{ip}", f"ip:{ip}", f"user:{name}"]


def _rule(key: str) -> Backoff:
    return RULES[key.split(":", 1)[0]]


def _device(conn: Connection, username: str, device_token: str | None) -> int | None:
    """The known device ``device_token`` names, if it belongs to ``username``'s account."""
    if not device_token or len(device_token) > 200:
        return None
    a, d = m.staff_accounts, known_devices
    row = conn.execute(
        sa.select(d.c.id, d.c.created_at)
        .select_from(d.join(a, a.c.id == d.c.account_id))
        .where(d.c.token_hash == token_hash(device_token), a.c.username == username)
    ).first()
    if row is None:
        return None
    created = as_utc(row.created_at) or utcnow()
    if utcnow() - created > dt.timedelta(days=DEVICE_DAYS):
        return None
    return int(row.id)


_INSERT = {
    name: dialect.insert(login_backoff).on_conflict_do_nothing(index_elements=[login_backoff.c.key])
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def reserve_login_attempt(
    conn: Connection, username: str, client_ip: str, device_token: str | None = None
) -> LoginRefusal | None:
    """Count one login attempt before its password is checked, or refuse it (not counted).

    Run inside a write transaction: the rows of the attempt's keys are locked until it
    commits, so concurrent attempts of any process are counted one after another.
    """
    now = utcnow()
    device_id = _device(conn, username, device_token)
    keys = _keys(username, client_ip, device_id)
    conn.execute(
        _INSERT[conn.dialect.name],
        # Sorted: every attempt locks its rows in one order (no deadlocks on PostgreSQL).
        [{"key": k, "attempts": 0, "last_at": now, "next_at": now} for k in sorted(keys)],
    )
    query = sa.select(login_backoff).where(login_backoff.c.key.in_(keys))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    rows = {row.key: row for row in conn.execute(query)}
    now = utcnow()  # after the rows are ours: another attempt may have held them till now
    wait = 0.0
    counts: dict[str, int] = {}
    for key in keys:
        row = rows[key]
        last = as_utc(row.last_at) or now
        stale = now - last > FORGET_AFTER
        counts[key] = 0 if stale else int(row.attempts)
        next_at = as_utc(row.next_at) or now
        if not stale and next_at > now:
            wait = max(wait, (next_at - now).total_seconds())
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        if seconds >= 120:
            text = f"尝试过于频繁，请 {seconds // 60 + 1} 分钟后再试"
        else:
            text = f"尝试过于频繁，请 {seconds} 秒后再试"
        return LoginRefusal(text, seconds)
    for key in keys:
        attempts = counts[key] + 1
        conn.execute(
            sa.update(login_backoff)
            .where(login_backoff.c.key == key)
            .values(
                attempts=attempts,
                last_at=now,
                next_at=now + dt.timedelta(seconds=_rule(key).delay(attempts)),
            )
        )
    return None


def record_login_success(
    conn: Connection, username: str, client_ip: str, device_token: str | None = None
) -> None:
    """A good login: its account's waits end; its address gets the attempt back."""
    device_id = _device(conn, username, device_token)
    pair, ip, user = _keys(username, client_ip, None)
    gone = [pair, user] + ([f"device:{device_id}"] if device_id is not None else [])
    conn.execute(sa.delete(login_backoff).where(login_backoff.c.key.in_(gone)))
    if device_id is None:
        conn.execute(
            sa.update(login_backoff)
            .where(login_backoff.c.key == ip, login_backoff.c.attempts > 0)
            .values(attempts=login_backoff.c.attempts - 1)
        )


def remember_device(conn: Connection, account_id: int, device_token: str | None) -> str:
    """The account's known-device token after a good login: the one presented if it is
    the account's, else a new one (the oldest beyond :data:`DEVICES_PER_ACCOUNT` go)."""
    d = known_devices
    now = utcnow()
    if device_token and len(device_token) <= 200:
        found = conn.execute(
            sa.update(d)
            .where(d.c.token_hash == token_hash(device_token), d.c.account_id == account_id)
            .values(last_used_at=now)
        )
        if found.rowcount:
            return device_token
    token = secrets.token_urlsafe(32)
    conn.execute(
        sa.insert(d).values(
            token_hash=token_hash(token), account_id=account_id, created_at=now, last_used_at=now
        )
    )
    keep = (
        sa.select(d.c.id)
        .where(d.c.account_id == account_id)
        .order_by(d.c.last_used_at.desc(), d.c.id.desc())
        .limit(DEVICES_PER_ACCOUNT)
    )
    conn.execute(sa.delete(d).where(d.c.account_id == account_id, d.c.id.not_in(keep)))
    return token


def forget_known_devices(conn: Connection, account_id: int) -> None:
    conn.execute(sa.delete(known_devices).where(known_devices.c.account_id == account_id))


@dataclass(frozen=True, slots=True)
class LoginAccount:
    """The account a good login proved."""

    id: int
    username: str
    role: str
    hall_id: str | None
    display_name: str


@dataclass(frozen=True, slots=True)
class LoginOk(Generic[T]):
    account: LoginAccount
    device_token: str  # the known-device token to hand back
    result: T  # what ``on_success`` made in the same transaction


async def try_login(
    db: Database,
    username: str,
    password: str,
    client_ip: str,
    device_token: str | None,
    on_success: Callable[[Connection, LoginAccount], T],
) -> LoginOk[T] | LoginRefusal | None:
    """The one login flow of the admin form and ``POST /auth/token``: reserve the attempt
    (or be refused, unverified), verify the password, then — in one transaction — clear
    the waits, remember the device and run ``on_success`` (a session, a token).
    ``None``: wrong username or password, or a disabled account (not told apart)."""
    refusal = await db.write(lambda c: reserve_login_attempt(c, username, client_ip, device_token))
    if refusal is not None:
        return refusal

    def find(conn: Connection) -> Any:
        a = m.staff_accounts
        return conn.execute(
            sa.select(
                a.c.id,
                a.c.username,
                a.c.password_hash,
                a.c.role,
                a.c.hall_id,
                a.c.display_name,
                a.c.disabled,
            ).where(a.c.username == username)
        ).first()

    row = await db.read(find)
    ok = await anyio.to_thread.run_sync(
        verify_password, row.password_hash if row is not None else None, password
    )
    if row is None or not ok or row.disabled:
        return None
    account = LoginAccount(
        int(row.id), str(row.username), str(row.role), row.hall_id, row.display_name or ""
    )

    def succeed(conn: Connection) -> tuple[str, T]:
        record_login_success(conn, username, client_ip, device_token)
        token = remember_device(conn, account.id, device_token)
        return token, on_success(conn, account)

    token, result = await db.write(succeed)
    return LoginOk(account, token, result)
