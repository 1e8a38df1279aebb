"""五必访: the visits recorded, each hall's visit rules, the district's events, the alerts

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 12:00:00

See kiosk/server/visits/. Visits reference households (0008).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

Time = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "visits",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("hall_id", sa.String(63), sa.ForeignKey("halls.id"), nullable=False),
        sa.Column(
            "household_id", sa.String(32), sa.ForeignKey("households.id"), nullable=False
        ),
        sa.Column("staff_id", BigId, sa.ForeignKey("staff_accounts.id"), nullable=False),
        sa.Column("at", Time, nullable=False),
        sa.Column("way", sa.String(8), nullable=False),
        sa.Column("seen", sa.Boolean, nullable=False),
        sa.Column("checklist", sa.JSON, nullable=False),
        sa.Column("needs_enc", sa.LargeBinary, nullable=True),
        sa.Column("request_id", sa.String(32), nullable=True),
        sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", Time, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_visits_household_at", "visits", ["household_id", "at"])
    op.create_index("ix_visits_hall_at", "visits", ["hall_id", "at"])
    op.create_table(
        "visit_policies",
        sa.Column("hall_id", sa.String(63), sa.ForeignKey("halls.id"), primary_key=True),
        sa.Column("high_risk_days", sa.Integer, nullable=False),
        sa.Column("key_days", sa.Integer, nullable=False),
        sa.Column("general_days", sa.Integer, nullable=False),
        sa.Column("new_resident_days", sa.Integer, nullable=False),
        sa.Column("retry_hours", sa.Integer, nullable=False),
        sa.Column("shown_before", sa.Integer, nullable=False),
        sa.Column("misses_alert", sa.Integer, nullable=False),
        sa.Column("updated_at", Time, nullable=False),
        sa.Column("updated_by", BigId, sa.ForeignKey("staff_accounts.id"), nullable=True),
    )
    op.create_table(
        "district_events",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("declared_by", BigId, sa.ForeignKey("staff_accounts.id"), nullable=False),
        sa.Column("at", Time, nullable=False),
        sa.Column("within_hours", sa.Integer, nullable=False),
        sa.Column("tiers", sa.JSON, nullable=False),
        sa.Column("hall_ids", sa.JSON, nullable=True),
        sa.Column("created_at", Time, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "visit_alerts",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("hall_id", sa.String(63), sa.ForeignKey("halls.id"), nullable=False),
        sa.Column("household_id", sa.String(32), nullable=False),
        sa.Column("visit_id", BigId, sa.ForeignKey("visits.id"), nullable=False, unique=True),
        sa.Column("misses", sa.Integer, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("at", Time, nullable=False),
        sa.Column("handled_at", Time, nullable=True),
        sa.Column("handled_by", BigId, sa.ForeignKey("staff_accounts.id"), nullable=True),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_visit_alerts_hall_handled", "visit_alerts", ["hall_id", "handled_at"])


def downgrade() -> None:
    op.drop_index("ix_visit_alerts_hall_handled", table_name="visit_alerts")
    op.drop_table("visit_alerts")
    op.drop_table("district_events")
    op.drop_table("visit_policies")
    op.drop_index("ix_visits_hall_at", table_name="visits")
    op.drop_index("ix_visits_household_at", table_name="visits")
    op.drop_table("visits")
