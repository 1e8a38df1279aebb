"""Who is asking: kiosk device tokens and staff accounts.

Kiosk tokens are random (32 bytes, URL-safe), shown once, stored as SHA-256 and bound to
one hall. Staff passwords are argon2 hashes; ``POST /auth/token`` hands a staff member a
bearer token (stored hashed, expiring, revoked for good by a new password, a disable or a
logout-everywhere: :func:`kiosk.server.admin.sessions.end_all_logins`). Staff tokens are
looked up in the database on every request, so their end is immediate in every process.
Kiosk token lookups are cached per process for ``auth_cache_seconds`` (the two requests
every kiosk makes all day are answered from memory): a revoked kiosk token stops at once
in the process that revoked it and within that time in the others (the fleet page says so).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection

from kiosk.server import models as m
from kiosk.server.db import Database, as_utc, utcnow

__all__ = [
    "HALL_ROLES",
    "ROLES",
    "ROLE_LABELS",
    "KioskPrincipal",
    "Principal",
    "PrincipalCache",
    "Role",
    "StaffPrincipal",
    "create_kiosk",
    "create_staff",
    "hash_password",
    "issue_staff_token",
    "new_token",
    "revoke_staff_tokens",
    "token_hash",
    "verify_password",
]

Role = Literal["hall_staff", "hall_leader", "district_admin"]
ROLES: tuple[Role, ...] = ("hall_staff", "hall_leader", "district_admin")
#: Roles whose account belongs to one hall (a leader is a hall staff member with more powers).
HALL_ROLES: tuple[Role, ...] = ("hall_staff", "hall_leader")
ROLE_LABELS: dict[str, str] = {
    "hall_staff": "大厅工作人员",
    "hall_leader": "大厅负责人",
    "district_admin": "街道管理员",
}

_hasher = PasswordHasher()
# Verified against when the username is unknown, so both paths cost the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True, slots=True)
class KioskPrincipal:
    device_id: int
    hall_id: str
    kiosk_no: int
    name: str

    @property
    def principal(self) -> str:
        return f"kiosk:{self.device_id}"


@dataclass(frozen=True, slots=True)
class StaffPrincipal:
    account_id: int
    username: str
    role: Role
    hall_id: str | None

    @property
    def principal(self) -> str:
        return f"staff:{self.account_id}"

    @property
    def is_admin(self) -> bool:
        return self.role == "district_admin"

    @property
    def is_hall_member(self) -> bool:
        """A hall's staff member or its leader (an account of one hall)."""
        return self.role in HALL_ROLES

    @property
    def is_leader(self) -> bool:
        """The hall's leader (负责人): escalations, 整改 and visit alerts are theirs."""
        return self.role == "hall_leader"

    def may_lead(self, hall_id: str) -> bool:
        """Leader's powers over ``hall_id``: its own leader, or a district admin."""
        return self.is_admin or (self.is_leader and self.hall_id == hall_id)

    def may_manage(self, hall_id: str) -> bool:
        return self.is_admin or self.hall_id == hall_id


Principal = KioskPrincipal | StaffPrincipal


def _lookup(conn: Connection, digest: str, now: dt.datetime) -> Principal | None:
    row = conn.execute(
        sa.select(
            m.kiosk_devices.c.id,
            m.kiosk_devices.c.hall_id,
            m.kiosk_devices.c.kiosk_no,
            m.kiosk_devices.c.name,
            m.kiosk_devices.c.revoked_at,
        ).where(m.kiosk_devices.c.token_hash == digest)
    ).first()
    if row is not None:
        if row.revoked_at is not None:
            return None
        return KioskPrincipal(row.id, row.hall_id, row.kiosk_no, row.name)
    staff = conn.execute(
        sa.select(
            m.staff_accounts.c.id,
            m.staff_accounts.c.username,
            m.staff_accounts.c.role,
            m.staff_accounts.c.hall_id,
            m.staff_accounts.c.disabled,
            m.staff_tokens.c.expires_at,
            m.staff_tokens.c.revoked_at,
        )
        .select_from(m.staff_tokens.join(m.staff_accounts))
        .where(m.staff_tokens.c.token_hash == digest)
    ).first()
    if staff is None or staff.disabled or staff.revoked_at is not None:
        return None
    expires = as_utc(staff.expires_at)
    if expires is None or expires <= now:
        return None
    return StaffPrincipal(staff.id, staff.username, staff.role, staff.hall_id)


class PrincipalCache:
    """Kiosk bearer token → principal, remembered for ``ttl`` seconds (misses too, briefly).

    Staff principals are never remembered: a staff token's end must hold at once."""

    def __init__(self, db: Database, ttl: float) -> None:
        self.db = db
        self.ttl = ttl
        self._cache: dict[str, tuple[float, Principal | None]] = {}

    async def resolve(self, token: str) -> Principal | None:
        digest = token_hash(token)
        now = time.monotonic()
        hit = self._cache.get(digest)
        if hit is not None and hit[0] > now:
            return hit[1]
        found = await self.db.read(lambda conn: _lookup(conn, digest, utcnow()))
        if isinstance(found, StaffPrincipal):
            return found
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[digest] = (now + self.ttl, found)
        return found

    def peek(self, token: str) -> Principal | None:
        """The cached principal of ``token`` if the cache holds a fresh positive answer."""
        hit = self._cache.get(token_hash(token))
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        return None

    def forget(self, token: str) -> None:
        self._cache.pop(token_hash(token), None)

    def forget_device(self, device_id: int) -> None:
        """Drop what this process remembers of kiosk ``device_id`` (it was just revoked)."""
        for digest, (_, found) in list(self._cache.items()):
            if isinstance(found, KioskPrincipal) and found.device_id == device_id:
                self._cache.pop(digest, None)


def create_kiosk(conn: Connection, hall_id: str, name: str = "") -> tuple[int, int, str]:
    """Register a kiosk for ``hall_id``: (device id, kiosk_no, token shown once)."""
    taken = conn.execute(
        sa.select(sa.func.max(m.kiosk_devices.c.kiosk_no)).where(
            m.kiosk_devices.c.hall_id == hall_id
        )
    ).scalar()
    kiosk_no = (taken or 0) + 1
    if kiosk_no > 99:
        raise ValueError("一个大厅最多登记 99 台自助机")
    token = new_token()
    device_id = conn.execute(
        sa.insert(m.kiosk_devices)
        .values(
            hall_id=hall_id,
            kiosk_no=kiosk_no,
            name=name or f"自助机 {kiosk_no}",
            token_hash=token_hash(token),
            created_at=utcnow(),
        )
        .returning(m.kiosk_devices.c.id)
    ).scalar_one()
    return device_id, kiosk_no, token


def create_staff(
    conn: Connection,
    username: str,
    password: str,
    role: Role,
    hall_id: str | None = None,
    display_name: str = "",
) -> int:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
    if role in HALL_ROLES and not hall_id:
        raise ValueError("hall staff need a hall")
    account_id: int = conn.execute(
        sa.insert(m.staff_accounts)
        .values(
            username=username,
            password_hash=hash_password(password),
            role=role,
            hall_id=hall_id if role in HALL_ROLES else None,
            display_name=display_name,
            disabled=False,
            created_at=utcnow(),
        )
        .returning(m.staff_accounts.c.id)
    ).scalar_one()
    return account_id


def issue_staff_token(conn: Connection, account_id: int, hours: float) -> tuple[str, dt.datetime]:
    token = new_token()
    now = utcnow()
    expires = now + dt.timedelta(hours=hours)
    conn.execute(
        sa.insert(m.staff_tokens).values(
            account_id=account_id,
            token_hash=token_hash(token),
            created_at=now,
            expires_at=expires,
        )
    )
    return token, expires


def revoke_staff_tokens(conn: Connection, account_id: int) -> int:
    """End every live bearer token of ``account_id`` for good; returns how many."""
    t = m.staff_tokens
    done = conn.execute(
        sa.update(t)
        .where(t.c.account_id == account_id, t.c.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return int(done.rowcount or 0)
