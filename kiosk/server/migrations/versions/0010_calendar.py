"""working-day calendar (issue 13): the days and whole years a district admin entered

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 12:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("workday", sa.Boolean, nullable=False),
        sa.Column("note", sa.String(40), nullable=False, server_default=""),
        sa.Column("entered_by", sa.String(64), nullable=False),
        sa.Column("entered_at", Time, nullable=False),
    )
    op.create_table(
        "calendar_years",
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("entered_by", sa.String(64), nullable=False),
        sa.Column("entered_at", Time, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("calendar_years")
    op.drop_table("calendar_days")
