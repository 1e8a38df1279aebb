"""The ticket hot path's statements, built once (SQLAlchemy then reuses their compiled
form)."""

from __future__ import annotations

import sqlalchemy as sa

from kiosk.core.wire import TicketState
from kiosk.server import models as m

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
#: (hall, queue, day, all, priority) waiting, per queue of the halls, queues and days given
#: (a superset of the groups asked about; the caller picks its own).
WAITING_BY_QUEUE = (
    sa.select(
        _t.c.hall_id,
        _t.c.queue,
        _t.c.service_day,
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(sa.case((_t.c.priority, 1), else_=0)), 0),
    )
    .where(
        _t.c.hall_id.in_(sa.bindparam("halls", expanding=True)),
        _t.c.service_day.in_(sa.bindparam("days", expanding=True)),
        _t.c.queue.in_(sa.bindparam("queues", expanding=True)),
        _t.c.state == TicketState.WAITING.value,
    )
    .group_by(_t.c.hall_id, _t.c.queue, _t.c.service_day)
)
BY_KEY = sa.select(_t).where(
    _t.c.principal == sa.bindparam("principal"), _t.c.idempotency_key == sa.bindparam("key")
)
EXISTING_KEYS = sa.select(_t.c.principal, _t.c.idempotency_key).where(
    _t.c.principal.in_(sa.bindparam("principals", expanding=True)),
    _t.c.idempotency_key.in_(sa.bindparam("keys", expanding=True)),
)
ID_TAKEN = sa.select(_t.c.id).where(_t.c.public_id == sa.bindparam("public_id"))
IDS_TAKEN = sa.select(_t.c.public_id).where(
    _t.c.public_id.in_(sa.bindparam("public_ids", expanding=True))
)
INSERT_TICKET = sa.insert(_t).returning(_t.c.id)
# Multi-row INSERTs return their rows in any order, matched up by a key (asking for the
# parameters' order makes SQLAlchemy send one statement per row on SQLite).
INSERT_TICKETS = sa.insert(_t).returning(_t.c.public_id, _t.c.id)
INSERT_AUDIT = sa.insert(m.ticket_audit)
INSERT_EVENTS = sa.insert(m.events).returning(m.events.c.hall_id, m.events.c.data, m.events.c.seq)
