"""remote care: per kiosk, the commands waiting for it and what it sent back last

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 09:00:00

See kiosk/server/kiosk_care.py.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Time = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "kiosk_care",
        sa.Column("kiosk_id", BigId, sa.ForeignKey("kiosk_devices.id"), primary_key=True),
        sa.Column("pending", sa.JSON, nullable=False),
        sa.Column("last_command_at", Time, nullable=True),
        sa.Column("screenshot", sa.LargeBinary, nullable=True),
        sa.Column("screenshot_mime", sa.String(32), nullable=False, server_default=""),
        sa.Column("screenshot_at", Time, nullable=True),
        sa.Column("log_lines", sa.JSON, nullable=True),
        sa.Column("log_at", Time, nullable=True),
        sa.Column("restart_at", Time, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("kiosk_care")
