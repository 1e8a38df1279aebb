"""The admin web's own tables: login sessions, failed-login throttle, content drafts and
the audit log. They share :data:`kiosk.server.models.metadata`; migrations 0002 and 0003
create them.
"""

from __future__ import annotations

import sqlalchemy as sa

# The login throttle's tables live with its rules (shared with POST /auth/token).
from kiosk.server.login_throttle import known_devices, login_backoff
from kiosk.server.models import BigId, Time, metadata

__all__ = ["admin_audit", "admin_drafts", "admin_sessions", "known_devices", "login_backoff"]

admin_sessions = sa.Table(
    "admin_sessions",
    metadata,
    # SHA-256 of the cookie value: a leaked database does not hand out live sessions.
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("account_id", BigId, sa.ForeignKey("staff_accounts.id"), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("last_seen_at", Time, nullable=False),
    sa.Column("expires_at", Time, nullable=False),
    sa.Column("client_ip", sa.String(64), nullable=False, server_default=""),
    sa.Index("ix_admin_sessions_account", "account_id"),
)

admin_drafts = sa.Table(
    "admin_drafts",
    metadata,
    sa.Column("hall_id", sa.String(63), sa.ForeignKey("halls.id"), primary_key=True),
    # The published version the draft started from.
    sa.Column("base_version", sa.Integer, nullable=True),
    # HallContent as JSON text (always valid: every edit is validated before it is saved).
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("updated_at", Time, nullable=False),
    sa.Column("updated_by", sa.String(64), nullable=False),
)

admin_audit = sa.Table(
    "admin_audit",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("at", Time, nullable=False),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("hall_id", sa.String(63), nullable=True),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("target", sa.String(200), nullable=False, server_default=""),
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
    sa.Index("ix_admin_audit_hall_at", "hall_id", "at"),
    sqlite_autoincrement=True,
)
