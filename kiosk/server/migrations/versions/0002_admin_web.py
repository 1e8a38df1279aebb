"""admin web: sessions, login throttle, drafts, audit log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 18:30:00

Tables of the staff admin web (in kiosk/server/models.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "admin_sessions",
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.Column("account_id", BigId, nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("last_seen_at", Time, nullable=False),
        sa.Column("expires_at", Time, nullable=False),
        sa.Column("client_ip", sa.String(64), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["staff_accounts.id"],
            name=op.f("fk_admin_sessions_account_id_staff_accounts"),
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_admin_sessions")),
    )
    op.create_index("ix_admin_sessions_account", "admin_sessions", ["account_id"])
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure_at", Time, nullable=False),
        sa.Column("locked_until", Time, nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_failures")),
    )
    op.create_table(
        "admin_drafts",
        sa.Column("hall_id", sa.String(63), nullable=False),
        sa.Column("base_version", sa.Integer, nullable=True),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("updated_at", Time, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["hall_id"], ["halls.id"], name=op.f("fk_admin_drafts_hall_id_halls")
        ),
        sa.PrimaryKeyConstraint("hall_id", name=op.f("pk_admin_drafts")),
    )
    op.create_table(
        "admin_audit",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("at", Time, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("hall_id", sa.String(63), nullable=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.String(200), server_default="", nullable=False),
        sa.Column("detail", sa.Text, server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_audit")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_admin_audit_hall_at", "admin_audit", ["hall_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_admin_audit_hall_at", table_name="admin_audit")
    op.drop_table("admin_audit")
    op.drop_table("admin_drafts")
    op.drop_table("login_failures")
    op.drop_index("ix_admin_sessions_account", table_name="admin_sessions")
    op.drop_table("admin_sessions")
