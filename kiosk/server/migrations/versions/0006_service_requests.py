"""requests 诉求 (issue 13): service_requests, request_events, request_categories,
request_media, diary_entries, request_counters, request_lookups

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 12:00:00

See kiosk/server/requests/ and docs/SERVICE_TRACKING.md.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Time = sa.DateTime(timezone=True)
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "service_requests",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("hall_id", sa.String(63), sa.ForeignKey("halls.id"), nullable=False),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("seq_year", sa.Integer, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("query_code", sa.String(6), nullable=False),
        sa.Column("category", sa.String(63), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("location", sa.String(20), nullable=True),
        sa.Column("name_enc", sa.LargeBinary, nullable=True),
        sa.Column("phone_enc", sa.LargeBinary, nullable=True),
        sa.Column("phone_hash", sa.String(64), nullable=True),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("named", sa.Boolean, nullable=False),
        sa.Column("limit_workdays", sa.Integer, nullable=False),
        sa.Column("registered_at", Time, nullable=False),
        sa.Column("accepted_at", Time, nullable=True),
        sa.Column("clock_start", Time, nullable=True),
        # [["<start>", "<end>"], …] aware ISO 8601
        sa.Column("pauses", sa.JSON, nullable=False),
        sa.Column("paused_since", Time, nullable=True),
        sa.Column("closed_at", Time, nullable=True),
        sa.Column("reopen_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("at_district", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("redirect_to", sa.Text, nullable=True),
        sa.Column("duplicate_of", sa.String(40), nullable=True),
        sa.Column("transferred_to", sa.String(500), nullable=True),
        sa.Column("expected_date", sa.Date, nullable=True),
        sa.Column("answer", sa.Text, nullable=True),
        sa.Column("followed_up_at", Time, nullable=True),
        sa.Column("satisfaction", sa.String(20), nullable=True),
        sa.Column("rating_level", sa.String(20), nullable=True),
        sa.Column("rated_at", Time, nullable=True),
        sa.Column("due_at", Time, nullable=True),
        # none | leader | district: how far the escalation job has told so far
        sa.Column("escalated", sa.String(10), nullable=False, server_default="none"),
        sa.Column("staff_id", BigId, nullable=True),
        sa.Column("publishable", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("public_summary", sa.Text, nullable=True),
        sa.Column("household_id", BigId, nullable=True),
        sa.Column("diary_entry_id", BigId, nullable=True),
        sa.Column("voice_note", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("idempotency_key", sa.String(100), nullable=True),
        sa.Column("device_id", sa.String(40), nullable=True),
        sa.Column("archived_at", Time, nullable=True),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("updated_at", Time, nullable=False),
        sa.UniqueConstraint("hall_id", "number", name="uq_service_requests_number"),
        sa.UniqueConstraint("device_id", "idempotency_key", name="uq_service_requests_idempotency"),
        sa.Index("ix_service_requests_hall_state", "hall_id", "state", "due_at"),
        sa.Index("ix_service_requests_query_code", "hall_id", "query_code"),
        sa.Index("ix_service_requests_phone_hash", "phone_hash"),
    )
    op.create_table(
        "request_events",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "request_id", sa.String(32), sa.ForeignKey("service_requests.id"), nullable=False
        ),
        sa.Column("at", Time, nullable=False),
        sa.Column("actor_role", sa.String(10), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("before", sa.String(16), nullable=True),
        sa.Column("after", sa.String(16), nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("public", sa.Boolean, nullable=False),
        sa.Index("ix_request_events_request", "request_id", "id"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "request_categories",
        sa.Column("hall_id", sa.String(63), sa.ForeignKey("halls.id"), primary_key=True),
        sa.Column("category", sa.String(63), primary_key=True),
        sa.Column("label", sa.String(40), nullable=True),
        sa.Column("limit_workdays", sa.Integer, nullable=True),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("phrases", sa.JSON, nullable=True),
    )
    op.create_table(
        "request_media",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column(
            "request_id", sa.String(32), sa.ForeignKey("service_requests.id"), nullable=False
        ),
        sa.Column("kind", sa.String(10), nullable=False),  # photo | voice
        sa.Column("mime", sa.String(40), nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Index("ix_request_media_request", "request_id"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "diary_entries",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("hall_id", sa.String(63), sa.ForeignKey("halls.id"), nullable=False),
        sa.Column("staff_id", BigId, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("location", sa.String(20), nullable=True),
        sa.Column("request_id", sa.String(32), nullable=True),
        sa.Column("created_at", Time, nullable=False),
        sa.Index("ix_diary_entries_hall_day", "hall_id", "day"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "request_counters",
        sa.Column("hall_id", sa.String(63), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("last_seq", sa.Integer, nullable=False),
    )
    op.create_table(
        "request_lookups",
        sa.Column("device_id", sa.String(40), primary_key=True),
        sa.Column("window_start", Time, nullable=False),
        sa.Column("taken", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("request_lookups")
    op.drop_table("request_counters")
    op.drop_table("diary_entries")
    op.drop_table("request_media")
    op.drop_table("request_categories")
    op.drop_table("request_events")
    op.drop_table("service_requests")
