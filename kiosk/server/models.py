"""The database tables (SQLAlchemy Core). Alembic migrations in ``migrations/`` create them.

Times are stored timezone-aware in UTC. Snapshots and media are immutable rows.
"""

from __future__ import annotations

import sqlalchemy as sa

from kiosk.core.clock import DEFAULT_TIMEZONE

__all__ = [
    "admin_audit",
    "admin_drafts",
    "admin_sessions",
    "content_versions",
    "counters",
    "events",
    "halls",
    "job_runs",
    "kiosk_allowance",
    "kiosk_care",
    "kiosk_devices",
    "kiosk_rate",
    "known_devices",
    "leases",
    "login_backoff",
    "media",
    "metadata",
    "queue_counters",
    "rating_appeals",
    "rating_followups",
    "rating_window_staff",
    "ratings",
    "staff_accounts",
    "staff_tokens",
    "ticket_audit",
    "tickets",
]

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Time = sa.DateTime(timezone=True)
# Integer primary keys that are true autoincrement on SQLite (never reused after a delete)
# and identity/serial on PostgreSQL.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

halls = sa.Table(
    "halls",
    metadata,
    sa.Column("id", sa.String(63), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False, server_default=DEFAULT_TIMEZONE),
    sa.Column("current_version", sa.Integer, nullable=True),
    sa.Column("created_at", Time, nullable=False),
)

content_versions = sa.Table(
    "content_versions",
    metadata,
    sa.Column("hall_id", sa.String(63), sa.ForeignKey("halls.id"), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("published_at", Time, nullable=False),
    sa.Column("published_by", sa.String(80), nullable=False),
    # The Snapshot JSON exactly as served (serialised once, at publish).
    sa.Column("snapshot", sa.LargeBinary, nullable=False),
)

media = sa.Table(
    "media",
    metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("mime", sa.String(100), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("created_at", Time, nullable=False),
)

staff_accounts = sa.Table(
    "staff_accounts",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),  # hall_staff | district_admin
    sa.Column("hall_id", sa.String(63), sa.ForeignKey("halls.id"), nullable=True),
    sa.Column("display_name", sa.String(100), nullable=False, server_default=""),
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", Time, nullable=False),
    sqlite_autoincrement=True,
)

staff_tokens = sa.Table(
    "staff_tokens",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("account_id", BigId, sa.ForeignKey("staff_accounts.id"), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("expires_at", Time, nullable=False),
    sa.Column("revoked_at", Time, nullable=True),
    sqlite_autoincrement=True,
)

kiosk_devices = sa.Table(
    "kiosk_devices",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("hall_id", sa.String(63), sa.ForeignKey("halls.id"), nullable=False),
    # The device's number within its hall: its fallback series is "A{kiosk_no}-001".
    sa.Column("kiosk_no", sa.Integer, nullable=False),
    sa.Column("name", sa.String(100), nullable=False, server_default=""),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("revoked_at", Time, nullable=True),
    sa.Column("last_seen_at", Time, nullable=True),
    sa.Column("last_heartbeat", sa.JSON, nullable=True),
    sa.UniqueConstraint("hall_id", "kiosk_no", name="uq_kiosk_devices_hall_kiosk_no"),
    sqlite_autoincrement=True,
)

queue_counters = sa.Table(
    "queue_counters",
    metadata,
    sa.Column("hall_id", sa.String(63), primary_key=True),
    sa.Column("queue", sa.String(1), primary_key=True),
    sa.Column("service_day", sa.Date, primary_key=True),
    sa.Column("last_seq", sa.Integer, nullable=False),
)

leases = sa.Table(
    "leases",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("hall_id", sa.String(63), nullable=False),
    sa.Column("device_id", BigId, sa.ForeignKey("kiosk_devices.id"), nullable=False),
    sa.Column("queue", sa.String(1), nullable=False),
    sa.Column("service_day", sa.Date, nullable=False),
    sa.Column("start_seq", sa.Integer, nullable=False),
    sa.Column("end_seq", sa.Integer, nullable=False),
    sa.Column("created_at", Time, nullable=False),
    sa.Index("ix_leases_device_day", "device_id", "service_day"),
    sqlite_autoincrement=True,
)

counters = sa.Table(
    "counters",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("hall_id", sa.String(63), sa.ForeignKey("halls.id"), nullable=False),
    sa.Column("window", sa.Integer, nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("queues", sa.JSON, nullable=False),  # ["A", "B"]
    sa.Column("current_ticket_id", BigId, nullable=True),
    sa.UniqueConstraint("hall_id", "window", name="uq_counters_hall_window"),
    sqlite_autoincrement=True,
)

tickets = sa.Table(
    "tickets",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("public_id", sa.String(40), nullable=False, unique=True),
    sa.Column("hall_id", sa.String(63), sa.ForeignKey("halls.id"), nullable=False),
    sa.Column("queue", sa.String(1), nullable=False),  # current queue (changes on transfer)
    sa.Column("number_queue", sa.String(1), nullable=False),  # the number's letter
    sa.Column("service_id", sa.String(63), nullable=True),
    sa.Column("service_day", sa.Date, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("number", sa.String(10), nullable=False),
    sa.Column("origin", sa.String(10), nullable=False),  # server | lease | fallback
    sa.Column("lease_id", BigId, nullable=True),
    sa.Column("priority", sa.Boolean, nullable=False),
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("issued_at", Time, nullable=False),
    sa.Column("queued_at", Time, nullable=False),  # the queue's order (after priority)
    sa.Column("kiosk_issued_at", Time, nullable=True),
    sa.Column("called_at", Time, nullable=True),
    sa.Column("started_at", Time, nullable=True),
    sa.Column("finished_at", Time, nullable=True),
    sa.Column("window", sa.Integer, nullable=True),
    sa.Column("counter_id", BigId, nullable=True),
    sa.Column("principal", sa.String(40), nullable=False),  # kiosk:7 | staff:3
    sa.Column("idempotency_key", sa.String(100), nullable=False),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.UniqueConstraint(
        "hall_id", "number_queue", "service_day", "number", name="uq_tickets_number"
    ),
    sa.UniqueConstraint("principal", "idempotency_key", name="uq_tickets_idempotency"),
    # Queue order and "people ahead" are range scans of this index.
    sa.Index(
        "ix_tickets_waiting", "hall_id", "service_day", "queue", "state", "priority", "queued_at"
    ),
    sqlite_autoincrement=True,
)

ticket_audit = sa.Table(
    "ticket_audit",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", BigId, sa.ForeignKey("tickets.id"), nullable=False),
    sa.Column("at", Time, nullable=False),
    sa.Column("actor", sa.String(40), nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("from_state", sa.String(12), nullable=True),
    sa.Column("to_state", sa.String(12), nullable=False),
    sa.Column("data", sa.JSON, nullable=True),
    sa.Index("ix_ticket_audit_ticket", "ticket_id"),
    sqlite_autoincrement=True,
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("seq", BigId, primary_key=True, autoincrement=True),
    sa.Column("hall_id", sa.String(63), nullable=False),
    sa.Column("type", sa.String(20), nullable=False),
    sa.Column("at", Time, nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Index("ix_events_hall_seq", "hall_id", "seq"),
    sqlite_autoincrement=True,
)

#: One row per job and period: the worker whose insert wins runs it (kiosk/server/jobs.py).
job_runs = sa.Table(
    "job_runs",
    metadata,
    sa.Column("job", sa.String(63), primary_key=True),
    sa.Column("period", sa.String(32), primary_key=True),
    sa.Column("started_at", Time, nullable=False),
    sa.Column("worker", sa.String(100), nullable=False),
    sa.Column("result", sa.String(500), nullable=False, server_default=""),
)


# The staff admin web's own tables (kiosk/server/admin/); migration 0002 creates them.

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

#: The login throttle's (kiosk/server/login_throttle.py, shared by the admin's login
#: form and POST /auth/token); created by migration 0003.
login_backoff = sa.Table(
    "login_backoff",
    metadata,
    # "pair:NAME|ADDRESS", "ip:ADDRESS", "user:NAME" or "device:ID"
    sa.Column("key", sa.String(250), primary_key=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_at", Time, nullable=False),
    # The earliest time the next attempt of this key is accepted.
    sa.Column("next_at", Time, nullable=False),
)

known_devices = sa.Table(
    "known_devices",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    # SHA-256 of the token the owner's browser (or API client) holds.
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("account_id", BigId, sa.ForeignKey("staff_accounts.id"), nullable=False),
    sa.Column("created_at", Time, nullable=False),
    sa.Column("last_used_at", Time, nullable=False),
    sa.Index("ix_known_devices_account", "account_id"),
    sqlite_autoincrement=True,
)

#: A kiosk's ticket rate and daily number allowance (kiosk/server/kiosk_quota.py).
#: Created by migration 0003.
kiosk_rate = sa.Table(
    "kiosk_rate",
    metadata,
    sa.Column("device_id", BigId, sa.ForeignKey("kiosk_devices.id"), primary_key=True),
    sa.Column("tokens", sa.Float, nullable=False),
    sa.Column("updated_at", Time, nullable=False),
    sa.Column("refused", sa.Integer, nullable=False, server_default="0"),
    sa.Column("refused_at", Time, nullable=True),
)

kiosk_allowance = sa.Table(
    "kiosk_allowance",
    metadata,
    sa.Column("device_id", BigId, sa.ForeignKey("kiosk_devices.id"), primary_key=True),
    sa.Column("queue", sa.String(1), primary_key=True),
    sa.Column("service_day", sa.Date, primary_key=True),
    sa.Column("taken", sa.Integer, nullable=False),
)

#: Remote care of a kiosk from the fleet page (kiosk/server/kiosk_care.py).
#: Created by migration 0005.
kiosk_care = sa.Table(
    "kiosk_care",
    metadata,
    sa.Column("kiosk_id", BigId, sa.ForeignKey("kiosk_devices.id"), primary_key=True),
    # [{"id": "…", "command": "screenshot", "at": "2026-…"}], oldest first
    sa.Column("pending", sa.JSON, nullable=False),
    sa.Column("last_command_at", Time, nullable=True),
    sa.Column("screenshot", sa.LargeBinary, nullable=True),
    sa.Column("screenshot_mime", sa.String(32), nullable=False, server_default=""),
    sa.Column("screenshot_at", Time, nullable=True),
    sa.Column("log_lines", sa.JSON, nullable=True),
    sa.Column("log_at", Time, nullable=True),
    sa.Column("restart_at", Time, nullable=True),
)


# --- ratings (issue 14) ---
# 好差评 (kiosk/server/ratings/, rules in kiosk/core/ratings.py); migration 0007.

#: One rating per ticket or request; ``level`` NULL is 未评价 (never a default good one).
ratings = sa.Table(
    "ratings",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("hall_id", sa.String(63), sa.ForeignKey("halls.id"), nullable=False),
    sa.Column("ticket_id", BigId, sa.ForeignKey("tickets.id"), nullable=True, unique=True),
    # A request's public id (issue 13's service_requests.id); no FK until that merges.
    sa.Column("request_id", sa.String(32), nullable=True, unique=True),
    # Who served: the staff account that completed the ticket, and the content staff
    # member assigned to the window then (the rating card's face), as the ticket says.
    sa.Column("staff_account_id", BigId, sa.ForeignKey("staff_accounts.id"), nullable=True),
    sa.Column("staff_id", sa.String(63), nullable=True),
    sa.Column("staff_name", sa.String(100), nullable=False, server_default=""),
    sa.Column("service_id", sa.String(63), nullable=True),
    sa.Column("queue", sa.String(1), nullable=True),
    sa.Column("counter_id", BigId, nullable=True),
    sa.Column("window", sa.Integer, nullable=True),
    sa.Column("channel", sa.String(16), nullable=False),  # device | phone_page
    sa.Column("level", sa.String(20), nullable=True),
    sa.Column("reasons", sa.JSON, nullable=False),
    sa.Column("phone_enc", sa.LargeBinary, nullable=True),
    sa.Column("named", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("device_id", sa.String(40), nullable=False),  # kiosk:7 | phone
    sa.Column("idempotency_key", sa.String(100), nullable=True),
    sa.Column("asked_at", Time, nullable=False),
    sa.Column("answered_at", Time, nullable=False),
    sa.Column("flagged_burst", sa.Boolean, nullable=False, server_default=sa.false()),
    # An upheld appeal: kept, but out of every figure.
    sa.Column("excluded", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("second_level", sa.String(20), nullable=True),  # the one 追评
    sa.Column("second_at", Time, nullable=True),
    sa.Column("created_at", Time, nullable=False),
    sa.UniqueConstraint("device_id", "idempotency_key", name="uq_ratings_idempotency"),
    sa.Index("ix_ratings_hall_answered", "hall_id", "answered_at"),
    sqlite_autoincrement=True,
)

#: The 整改 of a 差评: one row per rating, the steps' due and done times.
rating_followups = sa.Table(
    "rating_followups",
    metadata,
    sa.Column("rating_id", BigId, sa.ForeignKey("ratings.id"), primary_key=True),
    sa.Column("hall_id", sa.String(63), nullable=False),
    sa.Column("opened_at", Time, nullable=False),
    sa.Column("call_back_due", Time, nullable=False),
    sa.Column("verify_due", Time, nullable=False),
    sa.Column("fix_due", Time, nullable=False),
    sa.Column("called_back_at", Time, nullable=True),
    sa.Column("verified_at", Time, nullable=True),
    sa.Column("fixed_at", Time, nullable=True),
    # [{"step": "call_back", "at": "…", "by": "username", "note": "…"}], in order
    sa.Column("notes", sa.JSON, nullable=False),
    # Set by the job rating_followup_escalation when a step is overdue: the district sees it.
    sa.Column("escalated_at", Time, nullable=True),
    sa.Column("escalated_step", sa.String(16), nullable=True),
    sa.Index("ix_rating_followups_hall", "hall_id"),
)

#: A staff member's one 申诉 of a rating and the district's decision.
rating_appeals = sa.Table(
    "rating_appeals",
    metadata,
    sa.Column("rating_id", BigId, sa.ForeignKey("ratings.id"), primary_key=True),
    sa.Column("by_account_id", BigId, sa.ForeignKey("staff_accounts.id"), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("at", Time, nullable=False),
    sa.Column("upheld", sa.Boolean, nullable=True),  # NULL while undecided
    sa.Column("decided_by", sa.String(64), nullable=True),
    sa.Column("decided_at", Time, nullable=True),
    sa.Column("decision_note", sa.Text, nullable=False, server_default=""),
)

#: Who is at a window, for its rating device's card (a staff id of the hall's content).
rating_window_staff = sa.Table(
    "rating_window_staff",
    metadata,
    sa.Column("counter_id", BigId, sa.ForeignKey("counters.id"), primary_key=True),
    sa.Column("staff_id", sa.String(63), nullable=False),
    sa.Column("set_by", sa.String(64), nullable=False),
    sa.Column("set_at", Time, nullable=False),
)
