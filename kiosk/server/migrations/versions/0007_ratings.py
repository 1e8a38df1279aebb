"""ratings (好差评, issue 14): ratings, their 整改 follow-ups and appeals, window staff

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-03 12:00:00

See kiosk/server/ratings/ and docs/SERVICE_TRACKING.md. The lead re-chains the
migrations of this round at merge.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None

Time = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ratings",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("hall_id", sa.String(63), sa.ForeignKey("halls.id"), nullable=False),
        sa.Column("ticket_id", BigId, sa.ForeignKey("tickets.id"), nullable=True),
        sa.Column("request_id", sa.String(32), nullable=True),
        sa.Column("staff_account_id", BigId, sa.ForeignKey("staff_accounts.id"), nullable=True),
        sa.Column("staff_id", sa.String(63), nullable=True),
        sa.Column("staff_name", sa.String(100), nullable=False, server_default=""),
        sa.Column("service_id", sa.String(63), nullable=True),
        sa.Column("queue", sa.String(1), nullable=True),
        sa.Column("counter_id", BigId, nullable=True),
        sa.Column("window", sa.Integer, nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("level", sa.String(20), nullable=True),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("phone_enc", sa.LargeBinary, nullable=True),
        sa.Column("named", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("device_id", sa.String(40), nullable=False),
        sa.Column("idempotency_key", sa.String(100), nullable=True),
        sa.Column("asked_at", Time, nullable=False),
        sa.Column("answered_at", Time, nullable=False),
        sa.Column("flagged_burst", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("excluded", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("second_level", sa.String(20), nullable=True),
        sa.Column("second_at", Time, nullable=True),
        sa.Column("created_at", Time, nullable=False),
        sa.UniqueConstraint("ticket_id", name="uq_ratings_ticket_id"),
        sa.UniqueConstraint("request_id", name="uq_ratings_request_id"),
        sa.UniqueConstraint("device_id", "idempotency_key", name="uq_ratings_idempotency"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_ratings_hall_answered", "ratings", ["hall_id", "answered_at"])
    op.create_table(
        "rating_followups",
        sa.Column("rating_id", BigId, sa.ForeignKey("ratings.id"), primary_key=True),
        sa.Column("hall_id", sa.String(63), nullable=False),
        sa.Column("opened_at", Time, nullable=False),
        sa.Column("call_back_due", Time, nullable=False),
        sa.Column("verify_due", Time, nullable=False),
        sa.Column("fix_due", Time, nullable=False),
        sa.Column("called_back_at", Time, nullable=True),
        sa.Column("verified_at", Time, nullable=True),
        sa.Column("fixed_at", Time, nullable=True),
        sa.Column("notes", sa.JSON, nullable=False),
        sa.Column("escalated_at", Time, nullable=True),
        sa.Column("escalated_step", sa.String(16), nullable=True),
    )
    op.create_index("ix_rating_followups_hall", "rating_followups", ["hall_id"])
    op.create_table(
        "rating_appeals",
        sa.Column("rating_id", BigId, sa.ForeignKey("ratings.id"), primary_key=True),
        sa.Column("by_account_id", BigId, sa.ForeignKey("staff_accounts.id"), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("at", Time, nullable=False),
        sa.Column("upheld", sa.Boolean, nullable=True),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", Time, nullable=True),
        sa.Column("decision_note", sa.Text, nullable=False, server_default=""),
    )
    op.create_table(
        "rating_window_staff",
        sa.Column("counter_id", BigId, sa.ForeignKey("counters.id"), primary_key=True),
        sa.Column("staff_id", sa.String(63), nullable=False),
        sa.Column("set_by", sa.String(64), nullable=False),
        sa.Column("set_at", Time, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rating_window_staff")
    op.drop_table("rating_appeals")
    op.drop_index("ix_rating_followups_hall", table_name="rating_followups")
    op.drop_table("rating_followups")
    op.drop_index("ix_ratings_hall_answered", table_name="ratings")
    op.drop_table("ratings")
