"""Counters (service windows): list them, call the next resident, and act on the current one."""

from __future__ import annotations

from fastapi import APIRouter, Query
from sqlalchemy.engine import Connection

from kiosk.core.tickets import Action
from kiosk.core.values import SLUG_PATTERN
from kiosk.core.wire import CallNext, CountersPublic, TicketPublic, Transfer
from kiosk.server.api.deps import CounterId, CurrentStaff, Runtime
from kiosk.server.api.responses import error_responses
from kiosk.server.runtime import Outbox

router = APIRouter(tags=["counters"])

_ERRORS = error_responses(401, 403, 404, 409, 422)


@router.get("/counters", response_model=CountersPublic, responses=_ERRORS)
async def list_all(
    staff: CurrentStaff,
    runtime: Runtime,
    hall_id: str | None = Query(None, pattern=SLUG_PATTERN, description="only this hall's windows"),
) -> CountersPublic:
    from kiosk.server.counters import list_counters

    counters = await runtime.db.read(lambda c: list_counters(c, staff, hall_id, runtime.view))
    return CountersPublic(counters=counters)


@router.post("/counters/{counter_id}/call-next", response_model=TicketPublic, responses=_ERRORS)
async def call_next(
    counter_id: CounterId, staff: CurrentStaff, runtime: Runtime, body: CallNext | None = None
) -> TicketPublic:
    """Call the next waiting ticket (priority first, then arrival) of the window's queues,
    or of ``queues``; the ticket at the window, if any, is completed first."""
    queues = body.queues if body is not None else None

    def call(conn: Connection, outbox: Outbox) -> TicketPublic:
        ticket, events = runtime.desk.call_next(conn, counter_id, staff, queues)
        outbox.add(events)
        return ticket

    return await runtime.write(call)


async def _act(
    counter_id: CounterId,
    staff: CurrentStaff,
    runtime: Runtime,
    action: Action,
    queue: str | None = None,
) -> TicketPublic:
    def act(conn: Connection, outbox: Outbox) -> TicketPublic:
        ticket, events = runtime.desk.act(conn, counter_id, staff, action, queue)
        outbox.add(events)
        return ticket

    return await runtime.write(act)


@router.post("/counters/{counter_id}/recall", response_model=TicketPublic, responses=_ERRORS)
async def recall(counter_id: CounterId, staff: CurrentStaff, runtime: Runtime) -> TicketPublic:
    """Call the current ticket again (a ``call`` event with ``recall: true``)."""
    return await _act(counter_id, staff, runtime, Action.RECALL)


@router.post("/counters/{counter_id}/start", response_model=TicketPublic, responses=_ERRORS)
async def start(counter_id: CounterId, staff: CurrentStaff, runtime: Runtime) -> TicketPublic:
    return await _act(counter_id, staff, runtime, Action.START)


@router.post("/counters/{counter_id}/no-show", response_model=TicketPublic, responses=_ERRORS)
async def no_show(counter_id: CounterId, staff: CurrentStaff, runtime: Runtime) -> TicketPublic:
    return await _act(counter_id, staff, runtime, Action.NO_SHOW)


@router.post("/counters/{counter_id}/complete", response_model=TicketPublic, responses=_ERRORS)
async def complete(counter_id: CounterId, staff: CurrentStaff, runtime: Runtime) -> TicketPublic:
    return await _act(counter_id, staff, runtime, Action.COMPLETE)


@router.post("/counters/{counter_id}/transfer", response_model=TicketPublic, responses=_ERRORS)
async def transfer(
    counter_id: CounterId, body: Transfer, staff: CurrentStaff, runtime: Runtime
) -> TicketPublic:
    """Send the current ticket to another queue, where it waits again in its old place."""
    return await _act(counter_id, staff, runtime, Action.TRANSFER, body.queue)
