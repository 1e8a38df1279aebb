"""jobs that run once: one row per job and period, claimed by the worker that runs it

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 07:00:00

See kiosk/server/jobs.py.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("job", sa.String(63), nullable=False),
        sa.Column("period", sa.String(32), nullable=False),
        sa.Column("started_at", Time, nullable=False),
        sa.Column("worker", sa.String(100), nullable=False),
        sa.Column("result", sa.String(500), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("job", "period", name="pk_job_runs"),
    )


def downgrade() -> None:
    op.drop_table("job_runs")
