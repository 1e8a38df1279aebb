"""What a window (counter) does: call the next resident, recall, start, no-show, complete,
transfer. Each change follows :func:`kiosk.core.tickets.next_state`, writes an audit row
and an event (``call`` or ``ticket``) in the same transaction.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from kiosk.core.tickets import Action, TransitionError, next_state, service_day
from kiosk.core.wire import CounterPublic, EventType, TicketPublic, TicketState
from kiosk.server import models as m
from kiosk.server.auth import StaffPrincipal
from kiosk.server.content_store import HallDirectory
from kiosk.server.db import utcnow
from kiosk.server.domain_errors import Conflict, Forbidden, Invalid, NotFound
from kiosk.server.events import record_event
from kiosk.server.tickets import TicketView

__all__ = ["CounterDesk", "list_counters"]

_ACTIVE = (TicketState.CALLED.value, TicketState.SERVING.value)


def _counter(conn: Connection, counter_id: int, staff: StaffPrincipal) -> Row[Any]:
    row = conn.execute(sa.select(m.counters).where(m.counters.c.id == counter_id)).first()
    if row is None:
        raise NotFound("unknown_counter", f"没有编号为 {counter_id} 的窗口", field="counter_id")
    if not staff.may_manage(row.hall_id):
        raise Forbidden("forbidden", "不能操作其他大厅的窗口")
    return row


def list_counters(
    conn: Connection, staff: StaffPrincipal, hall_id: str | None, view: TicketView
) -> list[CounterPublic]:
    c = m.counters
    query = sa.select(c).order_by(c.c.hall_id, c.c.window)
    if not staff.is_admin:
        if hall_id is not None and hall_id != staff.hall_id:
            raise Forbidden("forbidden", "不能查看其他大厅的窗口")
        hall_id = staff.hall_id
    if hall_id is not None:
        query = query.where(c.c.hall_id == hall_id)
    out = []
    for row in conn.execute(query):
        current = None
        if row.current_ticket_id is not None:
            ticket = conn.execute(
                sa.select(m.tickets).where(m.tickets.c.id == row.current_ticket_id)
            ).first()
            if ticket is not None and ticket.state in _ACTIVE:
                current = view.public(conn, ticket)
        out.append(
            CounterPublic(
                id=row.id,
                hall_id=row.hall_id,
                window=row.window,
                name=row.name,
                queues=list(row.queues or []),
                current=current,
            )
        )
    return out


class CounterDesk:
    """The counter operations, each run inside one write transaction."""

    def __init__(self, halls: HallDirectory, view: TicketView) -> None:
        self.halls = halls
        self.view = view

    def _change(
        self,
        sink: list[tuple[str, int]],
        conn: Connection,
        ticket: Row[Any],
        action: Action,
        staff: StaffPrincipal,
        counter: Row[Any],
        values: dict[str, Any],
        *,
        recall: bool = False,
    ) -> tuple[Row[Any], int]:
        try:
            new_state = next_state(TicketState(ticket.state), action)
        except TransitionError as exc:
            raise Conflict("invalid_transition", f"{ticket.number}：{exc}") from None
        now = utcnow()
        changed = conn.execute(
            sa.update(m.tickets)
            .where(m.tickets.c.id == ticket.id, m.tickets.c.state == ticket.state)
            .values(state=new_state.value, **values)
        ).rowcount
        if changed != 1:
            raise Conflict("ticket_changed", f"{ticket.number} 刚被其他窗口处理，请重试")
        conn.execute(
            sa.insert(m.ticket_audit).values(
                ticket_id=ticket.id,
                at=now,
                actor=staff.principal,
                action=action.value,
                from_state=ticket.state,
                to_state=new_state.value,
                data={
                    "counter_id": counter.id,
                    "window": counter.window,
                    **({"queue": values["queue"]} if "queue" in values else {}),
                },
            )
        )
        row = conn.execute(sa.select(m.tickets).where(m.tickets.c.id == ticket.id)).one()
        if action in (Action.CALL, Action.RECALL):
            data = {
                "number": row.number,
                "queue": row.queue,
                "window": counter.window,
                "recall": recall,
            }
            seq = record_event(conn, row.hall_id, EventType.CALL, data)
        else:
            data = {
                "number": row.number,
                "queue": row.queue,
                "state": new_state.value,
                "window": counter.window,
                # A counter's rating device asks for a rating when its ticket is done.
                "ticket_id": row.public_id,
                "counter_id": counter.id,
            }
            seq = record_event(conn, row.hall_id, EventType.TICKET, data)
        sink.append((row.hall_id, seq))
        return row, seq

    def _current(self, conn: Connection, counter: Row[Any]) -> Row[Any]:
        if counter.current_ticket_id is not None:
            row = conn.execute(
                sa.select(m.tickets).where(m.tickets.c.id == counter.current_ticket_id)
            ).first()
            if row is not None and row.state in _ACTIVE:
                return row
        raise Conflict("no_current_ticket", f"{counter.name}当前没有正在处理的号码")

    def call_next(
        self, conn: Connection, counter_id: int, staff: StaffPrincipal, queues: list[str] | None
    ) -> tuple[TicketPublic, list[tuple[str, int]]]:
        """Call the next waiting resident (priority first, then order of arrival)."""
        sink: list[tuple[str, int]] = []
        counter = _counter(conn, counter_id, staff)
        hall = self.halls.get_sync(conn, counter.hall_id)
        wanted = list(queues) if queues else list(counter.queues or [])
        if queues and hall is not None:
            for i, code in enumerate(queues):
                if hall.queue(code) is None:
                    raise Invalid("unknown_queue", f"本大厅没有 {code} 队列", field=f"queues[{i}]")
        if not wanted:
            raise NotFound("queue_empty", f"{counter.name}没有要服务的队列")
        zone = hall.zone if hall is not None else None
        today = service_day(utcnow(), zone) if zone is not None else utcnow().date()
        t = m.tickets
        query = (
            sa.select(t)
            .where(
                t.c.hall_id == counter.hall_id,
                t.c.service_day == today,
                t.c.state == TicketState.WAITING.value,
                t.c.queue.in_(wanted),
            )
            .order_by(t.c.priority.desc(), t.c.queued_at, t.c.id)
            .limit(1)
        )
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ticket = conn.execute(query).first()
        if ticket is None:
            raise NotFound("queue_empty", f"{'、'.join(wanted)} 队列没有等候的号码")
        if counter.current_ticket_id is not None:
            current = conn.execute(
                sa.select(m.tickets).where(m.tickets.c.id == counter.current_ticket_id)
            ).first()
            if current is not None and current.state in _ACTIVE:
                # Calling the next resident finishes the one at the window: served when
                # the window had started serving them, a no-show (过号) when they were
                # called and never came — never counted as served.
                done = (
                    Action.COMPLETE
                    if current.state == TicketState.SERVING.value
                    else Action.NO_SHOW
                )
                self._change(sink, conn, current, done, staff, counter, {"finished_at": utcnow()})
        now = utcnow()
        row, _ = self._change(
            sink,
            conn,
            ticket,
            Action.CALL,
            staff,
            counter,
            {"called_at": now, "window": counter.window, "counter_id": counter.id},
        )
        conn.execute(
            sa.update(m.counters)
            .where(m.counters.c.id == counter.id)
            .values(current_ticket_id=row.id)
        )
        return self.view.public(conn, row, hall), sink

    def act(
        self,
        conn: Connection,
        counter_id: int,
        staff: StaffPrincipal,
        action: Action,
        queue: str | None = None,
    ) -> tuple[TicketPublic, list[tuple[str, int]]]:
        """recall / start / no_show / complete / transfer on the counter's current ticket."""
        sink: list[tuple[str, int]] = []
        counter = _counter(conn, counter_id, staff)
        hall = self.halls.get_sync(conn, counter.hall_id)
        ticket = self._current(conn, counter)
        now = utcnow()
        values: dict[str, Any] = {}
        release = True
        if action is Action.RECALL:
            values = {"called_at": now}
            release = False
        elif action is Action.START:
            values = {"started_at": now}
            release = False
        elif action in (Action.COMPLETE, Action.NO_SHOW):
            values = {"finished_at": now}
        elif action is Action.TRANSFER:
            if queue is None or hall is None or hall.queue(queue) is None:
                raise Invalid("unknown_queue", f"本大厅没有 {queue} 队列", field="queue")
            values = {
                "queue": queue,
                "window": None,
                "counter_id": None,
                "called_at": None,
                "started_at": None,
            }
        row, _ = self._change(
            sink, conn, ticket, action, staff, counter, values, recall=action is Action.RECALL
        )
        if release:
            conn.execute(
                sa.update(m.counters)
                .where(m.counters.c.id == counter.id)
                .values(current_ticket_id=None)
            )
        return self.view.public(conn, row, hall), sink
