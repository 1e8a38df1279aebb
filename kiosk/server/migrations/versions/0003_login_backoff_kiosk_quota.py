"""logins: backoff and known devices; kiosks: ticket rate and daily number allowance

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 06:50:00

``login_backoff`` and ``known_devices`` replace ``login_failures`` (kiosk/server/
login_throttle.py); ``kiosk_rate`` and ``kiosk_allowance`` (kiosk/server/kiosk_quota.py).
The old failure counts are simply dropped: they only slowed logins for 15 minutes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.drop_table("login_failures")
    op.create_table(
        "login_backoff",
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_at", Time, nullable=False),
        sa.Column("next_at", Time, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_backoff")),
    )
    op.create_table(
        "known_devices",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("account_id", BigId, nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("last_used_at", Time, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["staff_accounts.id"],
            name=op.f("fk_known_devices_account_id_staff_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_known_devices")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_known_devices_token_hash")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_known_devices_account", "known_devices", ["account_id"])
    op.create_table(
        "kiosk_rate",
        sa.Column("device_id", BigId, nullable=False),
        sa.Column("tokens", sa.Float, nullable=False),
        sa.Column("updated_at", Time, nullable=False),
        sa.Column("refused", sa.Integer, server_default="0", nullable=False),
        sa.Column("refused_at", Time, nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"], ["kiosk_devices.id"], name=op.f("fk_kiosk_rate_device_id_kiosk_devices")
        ),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_kiosk_rate")),
    )
    op.create_table(
        "kiosk_allowance",
        sa.Column("device_id", BigId, nullable=False),
        sa.Column("queue", sa.String(1), nullable=False),
        sa.Column("service_day", sa.Date, nullable=False),
        sa.Column("taken", sa.Integer, nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["kiosk_devices.id"],
            name=op.f("fk_kiosk_allowance_device_id_kiosk_devices"),
        ),
        sa.PrimaryKeyConstraint(
            "device_id", "queue", "service_day", name=op.f("pk_kiosk_allowance")
        ),
    )


def downgrade() -> None:
    op.drop_table("kiosk_allowance")
    op.drop_table("kiosk_rate")
    op.drop_index("ix_known_devices_account", table_name="known_devices")
    op.drop_table("known_devices")
    op.drop_table("login_backoff")
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure_at", Time, nullable=False),
        sa.Column("locked_until", Time, nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_failures")),
    )
