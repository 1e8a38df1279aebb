"""The ticket hot path's statements, built once (SQLAlchemy then reuses their compiled
form)."""

from __future__ import annotations

import sqlalchemy as sa

from kiosk.core.wire import EventType, TicketState
from kiosk.server import models as m
from kiosk.server.events import CHANNEL
from kiosk.server.tickets.rows import INSERTED_COLUMNS

_t = m.tickets

WAITING_IN_QUEUE = sa.and_(
    _t.c.hall_id == sa.bindparam("hall"),
    _t.c.service_day == sa.bindparam("day"),
    _t.c.queue == sa.bindparam("queue"),
    _t.c.state == TicketState.WAITING.value,
)
_EARLIER = sa.or_(
    _t.c.queued_at < sa.bindparam("at"),
    sa.and_(_t.c.queued_at == sa.bindparam("at"), _t.c.id < sa.bindparam("id")),
)
#: Waiting tickets ahead of a priority ticket: earlier priority ones.
AHEAD_OF_PRIORITY = (
    sa.select(sa.func.count())
    .select_from(_t)
    .where(WAITING_IN_QUEUE, _t.c.priority.is_(True), _EARLIER)
)
#: Waiting tickets ahead of a normal ticket: every priority one and earlier normal ones.
AHEAD_OF_NORMAL = (
    sa.select(sa.func.count())
    .select_from(_t)
    .where(
        WAITING_IN_QUEUE,
        sa.or_(_t.c.priority.is_(True), sa.and_(_t.c.priority.is_(False), _EARLIER)),
    )
)
BY_KEY = sa.select(_t).where(
    _t.c.principal == sa.bindparam("principal"), _t.c.idempotency_key == sa.bindparam("key")
)
ID_TAKEN = sa.select(_t.c.id).where(_t.c.public_id == sa.bindparam("public_id"))
IDS_TAKEN = sa.select(_t.c.public_id).where(
    _t.c.public_id.in_(sa.bindparam("public_ids", expanding=True))
)
INSERT_TICKET = sa.insert(_t).returning(_t.c.id)
INSERT_AUDIT = sa.insert(m.ticket_audit)

# PostgreSQL only: a batch's steps as single statements, with the rows sent as arrays
# (``unnest``) so the statement's text, and with it the server's plan cache, does not
# change with the batch's size. Those given as psycopg text (``%(name)s``) are steps of a
# pipelined round (kiosk/server/pg_driver.py); the ticket INSERT goes through SQLAlchemy.

#: The batch's (principal, idempotency key) pairs already used: one look-up in the unique
#: index per pair, whatever the planner's statistics say (the LATERAL … LIMIT 1 is not
#: flattened into a join). ``principal IN (…) AND idempotency_key IN (…)`` made PostgreSQL
#: read every ticket the batch's kiosks ever issued and filter them: 1.8 ms at 2,000
#: tickets, growing with every day of a hall's history.
PG_EXISTING_KEYS = """
SELECT k.principal, k.key
FROM unnest(CAST(%(principals)s AS varchar[]), CAST(%(keys)s AS varchar[]))
    AS k(principal, key)
CROSS JOIN LATERAL (
    SELECT 1 FROM tickets t
    WHERE t.principal = k.principal AND t.idempotency_key = k.key LIMIT 1
) AS used
"""
#: Those of the batch's own public ids (a kiosk's offline ticket) already taken.
PG_IDS_TAKEN = "SELECT public_id FROM tickets WHERE public_id = ANY(CAST(%(ids)s AS varchar[]))"

#: The counter bump of every (hall, queue, day) of a batch, and what waited in each before
#: it: one statement instead of two. The rows are bumped (and locked) in the order given.
#: The counts read the statement's snapshot, taken after the halls' event locks (the
#: caller's previous statement), so no writer of these halls is half-way. Both counts come
#: from one range scan of ``ix_tickets_waiting``: as two subqueries, the priority count was
#: planned on ``uq_tickets_number`` and read every ticket of the hall's day.
PG_BUMP_AND_COUNT = """
WITH bump AS (
    INSERT INTO queue_counters AS c (hall_id, queue, service_day, last_seq)
    SELECT * FROM unnest(
        CAST(%(halls)s AS varchar[]), CAST(%(queues)s AS varchar[]),
        CAST(%(days)s AS date[]), CAST(%(counts)s AS integer[]))
    ON CONFLICT (hall_id, queue, service_day)
    DO UPDATE SET last_seq = c.last_seq + excluded.last_seq
    RETURNING c.hall_id, c.queue, c.service_day, c.last_seq
)
SELECT b.hall_id, b.queue, b.service_day, b.last_seq, w.waiting, w.priority
FROM bump b
CROSS JOIN LATERAL (
    SELECT count(*) AS waiting, count(*) FILTER (WHERE t.priority) AS priority
    FROM tickets t
    WHERE t.hall_id = b.hall_id AND t.service_day = b.service_day
      AND t.queue = b.queue AND t.state = 'waiting'
) AS w
"""

#: A batch's tickets, their audit rows and their events in one statement; answers
#: ``(0, public_id, NULL, ticket id)`` per ticket, ``(1, hall_id, number, seq)`` per
#: event and one ``(2, NULL, NULL, halls)`` row for the NOTIFY of each hall's newest seq
#: (``kiosk.server.events.notify_payload``). The events' hall locks are taken first.
PG_INSERT_BATCH = sa.text(
    f"""
WITH t AS (
    INSERT INTO tickets (public_id, hall_id, queue, number_queue, service_id, service_day,
        seq, number, origin, lease_id, priority, state, issued_at, queued_at,
        kiosk_issued_at, principal, idempotency_key, request_hash)
    SELECT * FROM unnest(
        CAST(:public_id AS varchar[]), CAST(:hall_id AS varchar[]), CAST(:queue AS varchar[]),
        CAST(:number_queue AS varchar[]), CAST(:service_id AS varchar[]),
        CAST(:service_day AS date[]), CAST(:seq AS integer[]), CAST(:number AS varchar[]),
        CAST(:origin AS varchar[]), CAST(:lease_id AS bigint[]), CAST(:priority AS boolean[]),
        CAST(:state AS varchar[]), CAST(:issued_at AS timestamptz[]),
        CAST(:queued_at AS timestamptz[]), CAST(:kiosk_issued_at AS timestamptz[]),
        CAST(:principal AS varchar[]), CAST(:idempotency_key AS varchar[]),
        CAST(:request_hash AS varchar[]))
    RETURNING id, public_id, principal
), a AS (
    INSERT INTO ticket_audit (ticket_id, at, actor, action, from_state, to_state, data)
    SELECT t.id, CAST(:now AS timestamptz), t.principal, 'issue', NULL, 'waiting',
        CAST(:audit_data AS json)
    FROM t
), e AS (
    INSERT INTO events (hall_id, type, at, data)
    SELECT * FROM unnest(
        CAST(:event_hall AS varchar[]), CAST(:event_type AS varchar[]),
        CAST(:event_at AS timestamptz[]), CAST(:event_data AS json[]))
    RETURNING hall_id, seq, data
), n AS (
    SELECT pg_notify('{CHANNEL}',
        e.hall_id || ' ' || max(e.seq) || ' {EventType.TICKET.value}') AS sent
    FROM e GROUP BY e.hall_id
)
SELECT 0 AS kind, t.public_id AS k, CAST(NULL AS varchar) AS number, t.id AS v FROM t
UNION ALL
SELECT 1, e.hall_id, e.data ->> 'number', e.seq FROM e
UNION ALL
SELECT 2, NULL, NULL, count(*) FROM n
"""
)

# SQLite only: the bulk steps as text for the driver's own cursor (kiosk/server/
# sqlite_driver.py), ``{…}`` filled with its ``marks`` for the batch's size.

#: (principal, idempotency_key) of the keys already used.
SQLITE_EXISTING_KEYS = (
    "SELECT principal, idempotency_key FROM tickets "
    "WHERE principal IN ({principals}) AND idempotency_key IN ({keys})"
)
#: (hall, queue, day, all, priority) waiting, per queue of the halls, queues and days given
#: (a superset of the groups asked about; the caller picks its own).
SQLITE_WAITING_BY_QUEUE = (
    "SELECT hall_id, queue, service_day, count(*), coalesce(sum(priority), 0) FROM tickets "
    "WHERE hall_id IN ({halls}) AND service_day IN ({days}) AND queue IN ({queues}) "
    f"AND state = '{TicketState.WAITING.value}' GROUP BY hall_id, queue, service_day"
)
#: Multi-row INSERTs return their rows in any order, matched up by a key.
SQLITE_INSERT_TICKETS = (
    f"INSERT INTO tickets ({', '.join(INSERTED_COLUMNS)}) VALUES {{rows}} RETURNING public_id, id"
)
SQLITE_INSERT_AUDIT = (
    "INSERT INTO ticket_audit (ticket_id, at, actor, action, from_state, to_state, data) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
SQLITE_INSERT_EVENTS = (
    "INSERT INTO events (hall_id, type, at, data) VALUES {rows} "
    "RETURNING hall_id, json_extract(data, '$.number'), seq"
)
