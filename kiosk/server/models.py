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
    "calendar_days",
    "calendar_years",
    "content_versions",
    "counters",
    "diary_entries",
    "district_events",
    "events",
    "halls",
    "household_access",
    "household_audit",
    "household_imports",
    "household_members",
    "households",
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
    "request_categories",
    "request_counters",
    "request_events",
    "request_lookups",
    "request_media",
    "service_requests",
    "staff_accounts",
    "staff_tokens",
    "ticket_audit",
    "tickets",
    "visit_alerts",
    "visit_policies",
    "visits",
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

# --- requests 诉求 (issue 13) ---------------------------------------------------------
# kiosk/server/requests/ reads and writes these; created by migration 0006.

#: A resident's request. ``id`` is the public id (the phone page ``/r/{id}``); the core
#: ``ServiceRequest`` fields are stored as they are, ``due_at`` at every transition.
service_requests = sa.Table(
    "service_requests",
    metadata,
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
    sa.Column("household_id", sa.String(32), nullable=True),
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

#: One row per change of a request (and per note): the timeline and the audit trail.
request_events = sa.Table(
    "request_events",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(32), sa.ForeignKey("service_requests.id"), nullable=False),
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

#: A hall's changes to the default categories (kiosk.core.request_deadlines).
request_categories = sa.Table(
    "request_categories",
    metadata,
    sa.Column("hall_id", sa.String(63), sa.ForeignKey("halls.id"), primary_key=True),
    sa.Column("category", sa.String(63), primary_key=True),
    sa.Column("label", sa.String(40), nullable=True),
    sa.Column("limit_workdays", sa.Integer, nullable=True),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("phrases", sa.JSON, nullable=True),
)

#: Photos and voice notes of a request (bytes here: a voice note is at most 2 MB).
request_media = sa.Table(
    "request_media",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(32), sa.ForeignKey("service_requests.id"), nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),  # photo | voice
    sa.Column("mime", sa.String(40), nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=True),  # voice; a photo's bytes are in media
    sa.Column("created_at", Time, nullable=False),
    # photos (issue 13, req-photos, migration 0010): the bytes by SHA-256 in ``media``, and
    # whether the resident's phone page and the kiosk may show it (never by default).
    sa.Column("sha256", sa.String(64), sa.ForeignKey("media.sha256"), nullable=True),
    sa.Column("public", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_request_media_request", "request_id"),
    sqlite_autoincrement=True,
)

#: 民情日记: what a staff member noted on their rounds (req-admin's pages).
diary_entries = sa.Table(
    "diary_entries",
    metadata,
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

#: The last request sequence number per hall and year (like ``queue_counters``).
request_counters = sa.Table(
    "request_counters",
    metadata,
    sa.Column("hall_id", sa.String(63), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("last_seq", sa.Integer, nullable=False),
)

#: 查询码 look-ups per kiosk and minute (a 6-digit code can be guessed: see
#: kiosk/server/requests/lookups.py).
request_lookups = sa.Table(
    "request_lookups",
    metadata,
    sa.Column("device_id", sa.String(40), primary_key=True),
    sa.Column("window_start", Time, nullable=False),
    sa.Column("taken", sa.Integer, nullable=False),
)

# --- households (issue 15) ---
# A hall's register of households for 五必访 (kiosk/server/households/). Every personal
# field is sealed by kiosk.server.personal (AES-GCM, key from the settings): the columns
# ending in ``_enc`` hold ciphertext only; ``phone_hash`` is a keyed hash for search.

households = sa.Table(
    "households",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("hall_id", sa.String(63), sa.ForeignKey("halls.id"), nullable=False),
    # 楼号-单元-室, normalised by kiosk.core.residents.check_address ("3-2-501").
    sa.Column("address", sa.String(40), nullable=False),
    sa.Column("building", sa.String(8), nullable=False),
    sa.Column("tags", sa.JSON, nullable=False),
    sa.Column("tier", sa.String(12), nullable=False),  # kiosk.core.visits.Tier
    sa.Column("tier_set_by_staff", sa.Boolean, nullable=False, server_default=sa.false()),
    # The 网格员: a staff id of the hall's content (``staff`` list), or empty.
    sa.Column("staff_id", sa.String(63), nullable=False, server_default=""),
    sa.Column("emergency_contact_enc", sa.LargeBinary, nullable=True),
    sa.Column("notes_enc", sa.LargeBinary, nullable=True),
    sa.Column("registered_at", Time, nullable=False),
    sa.Column("updated_at", Time, nullable=False),
    sa.Column("moved_away_at", Time, nullable=True),
    sa.Column("archived_at", Time, nullable=True),
    # When the retention job erases the personal fields (set when marked moved away).
    sa.Column("erase_due_at", Time, nullable=True),
    sa.Column("erased_at", Time, nullable=True),
    sa.Index("ix_households_hall_address", "hall_id", "address"),
)

household_members = sa.Table(
    "household_members",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("household_id", sa.String(32), sa.ForeignKey("households.id"), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("name_enc", sa.LargeBinary, nullable=True),
    sa.Column("birth_year", sa.Integer, nullable=True),
    sa.Column("phone_enc", sa.LargeBinary, nullable=True),
    sa.Column("phone_hash", sa.String(64), nullable=True),
    sa.Column("id_number_enc", sa.LargeBinary, nullable=True),
    sa.Column("relation", sa.String(20), nullable=False, server_default=""),
    sa.Index("ix_household_members_household", "household_id"),
    sa.Index("ix_household_members_phone_hash", "phone_hash"),
    sqlite_autoincrement=True,
)

#: Who saw, exported, edited or imported which household, when and why.
household_audit = sa.Table(
    "household_audit",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("at", Time, nullable=False),
    sa.Column("hall_id", sa.String(63), nullable=False),
    sa.Column("household_id", sa.String(32), nullable=True),  # none: a whole-hall export
    sa.Column("actor", sa.String(64), nullable=False),  # the staff username
    sa.Column("action", sa.String(20), nullable=False),  # view | export | edit | import | …
    sa.Column("reason", sa.String(200), nullable=False, server_default=""),
    sa.Index("ix_household_audit_hall_at", "hall_id", "at"),
    sa.Index("ix_household_audit_household", "household_id"),
    sqlite_autoincrement=True,
)

#: Per hall: may the district admins see the households in full (the hall's choice).
household_access = sa.Table(
    "household_access",
    metadata,
    sa.Column("hall_id", sa.String(63), sa.ForeignKey("halls.id"), primary_key=True),
    sa.Column("district_may_view", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("changed_by", sa.String(64), nullable=False),
    sa.Column("changed_at", Time, nullable=False),
)

#: A spreadsheet being imported: parsed rows held (sealed) between upload, mapping, dry
#: run and confirm, so any server process can carry on; deleted when confirmed or stale.
household_imports = sa.Table(
    "household_imports",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("hall_id", sa.String(63), sa.ForeignKey("halls.id"), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("filename", sa.String(200), nullable=False, server_default=""),
    # {"headers": [...], "rows": [[...], ...]} as JSON, sealed (it is personal data).
    sa.Column("data_enc", sa.LargeBinary, nullable=False),
    sa.Column("created_at", Time, nullable=False),
)

# --- visits (issue 15) ---
# 五必访 (kiosk/server/visits/): the visits recorded, each hall's visit rules, the district's
# events (寒潮预警) and the leader's alerts. A household's due state is computed from its
# visits by kiosk.core.visits, never stored. Created by migration 0009.

visits = sa.Table(
    "visits",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("hall_id", sa.String(63), sa.ForeignKey("halls.id"), nullable=False),
    sa.Column("household_id", sa.String(32), sa.ForeignKey("households.id"), nullable=False),
    sa.Column("staff_id", BigId, sa.ForeignKey("staff_accounts.id"), nullable=False),
    sa.Column("at", Time, nullable=False),
    sa.Column("way", sa.String(8), nullable=False),  # core.visits.Way: home | phone | video
    sa.Column("seen", sa.Boolean, nullable=False),
    # ["gas", "power", ...]: kiosk.server.visits.CHECKLIST keys that were checked
    sa.Column("checklist", sa.JSON, nullable=False),
    # What the household needs, sealed by kiosk.server.personal (personal data).
    sa.Column("needs_enc", sa.LargeBinary, nullable=True),
    # The request (诉求) a need was turned into, once it is.
    sa.Column("request_id", sa.String(32), nullable=True),
    # Minted by the phone's form (so a form re-sent after a lost answer is one visit).
    sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", Time, nullable=False),
    sa.Index("ix_visits_household_at", "household_id", "at"),
    sa.Index("ix_visits_hall_at", "hall_id", "at"),
    sqlite_autoincrement=True,
)

visit_policies = sa.Table(
    "visit_policies",
    metadata,
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

district_events = sa.Table(
    "district_events",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False),  # 寒潮预警, 高温预警 …
    sa.Column("declared_by", BigId, sa.ForeignKey("staff_accounts.id"), nullable=False),
    sa.Column("at", Time, nullable=False),
    sa.Column("within_hours", sa.Integer, nullable=False),
    sa.Column("tiers", sa.JSON, nullable=False),  # ["high_risk"]
    sa.Column("hall_ids", sa.JSON, nullable=True),  # null: every hall of the district
    sa.Column("created_at", Time, nullable=False),
    sqlite_autoincrement=True,
)

visit_alerts = sa.Table(
    "visit_alerts",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("hall_id", sa.String(63), sa.ForeignKey("halls.id"), nullable=False),
    sa.Column("household_id", sa.String(32), nullable=False),
    sa.Column("visit_id", BigId, sa.ForeignKey("visits.id"), nullable=False, unique=True),
    sa.Column("misses", sa.Integer, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("at", Time, nullable=False),
    sa.Column("handled_at", Time, nullable=True),
    sa.Column("handled_by", BigId, sa.ForeignKey("staff_accounts.id"), nullable=True),
    sa.Index("ix_visit_alerts_hall_handled", "hall_id", "handled_at"),
    sqlite_autoincrement=True,
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
    # A request's public id (issue 13's service_requests.id).
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

# --- working-day calendar entries (issue 13) ---

#: A day the district admin entered: worked or off, over the library's calendar
#: (kiosk/core/workdays.py); e.g. next year's holidays before the library knows them.
calendar_days = sa.Table(
    "calendar_days",
    metadata,
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("workday", sa.Boolean, nullable=False),
    sa.Column("note", sa.String(40), nullable=False, server_default=""),  # 春节 / 调休上班
    sa.Column("entered_by", sa.String(64), nullable=False),
    sa.Column("entered_at", Time, nullable=False),
)

#: A year the district declares entered whole: its days without an entry are worked
#: Monday to Friday (no UnknownCalendarYear for it any more).
calendar_years = sa.Table(
    "calendar_years",
    metadata,
    sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("entered_by", sa.String(64), nullable=False),
    sa.Column("entered_at", Time, nullable=False),
)
