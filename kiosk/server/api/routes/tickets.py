"""Tickets: issue one (``Idempotency-Key``), deliver a kiosk's offline backlog, and the
public status of a ticket by its unguessable id."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.engine import Connection

from kiosk.core.wire import (
    ErrorBody,
    TicketBatchCreate,
    TicketBatchPublic,
    TicketBatchResult,
    TicketCreate,
    TicketPublic,
)
from kiosk.server.api.deps import (
    PUBLIC_ID,
    CurrentKiosk,
    CurrentKioskOrStaff,
    IdempotencyKey,
    Runtime,
)
from kiosk.server.api.responses import error_responses
from kiosk.server.auth import KioskPrincipal
from kiosk.server.domain_errors import DomainError
from kiosk.server.errors import ApiError, api_error
from kiosk.server.runtime import Outbox
from kiosk.server.tickets import IssueRequest, IssueResult, issue_many

router = APIRouter(tags=["tickets"])

_ERRORS = error_responses(401, 403, 404, 409, 422, 429)


@router.post(
    "/tickets",
    response_model=TicketPublic,
    status_code=201,
    responses={**_ERRORS, 200: {"model": TicketPublic, "description": "a replay: same key"}},
)
async def issue_ticket(
    body: TicketCreate, key: IdempotencyKey, who: CurrentKioskOrStaff, runtime: Runtime
) -> Response:
    """Issue a ticket (201), or answer a repeated ``Idempotency-Key`` with the same one (200).

    A kiosk issues for its own hall; hall staff (at a window) for theirs.
    """
    if isinstance(who, KioskPrincipal):
        hall_id = who.hall_id
    else:
        if who.hall_id is None:
            raise ApiError(
                422, "unknown_hall", "街道管理员账号不属于某个大厅，不能直接取号", field="hall_id"
            )
        hall_id = who.hall_id
    await runtime.halls.require(hall_id)
    result = await runtime.issue(IssueRequest(who, hall_id, key, body))
    return Response(
        result.ticket.model_dump_json().encode(),
        status_code=201 if result.created else 200,
        media_type="application/json",
    )


@router.post("/tickets/batch", response_model=TicketBatchPublic, responses=_ERRORS)
async def deliver_batch(
    body: TicketBatchCreate, kiosk: CurrentKiosk, runtime: Runtime
) -> TicketBatchPublic:
    """A kiosk's offline backlog: each item gets its ticket or its own error; one bad item
    does not stop the others. Beyond the kiosk's ticket rate the whole answer is ``429
    rate_limited`` (``Retry-After``); sending the same batch again later is safe."""
    await runtime.halls.require(kiosk.hall_id)
    requests = [
        IssueRequest(
            kiosk,
            kiosk.hall_id,
            item.idempotency_key,
            TicketCreate.model_validate(item.model_dump(exclude={"idempotency_key"})),
        )
        for item in body.tickets
    ]

    def issue(conn: Connection, outbox: Outbox) -> list[IssueResult | DomainError]:
        outcomes = issue_many(conn, requests, runtime.halls, runtime.view, runtime.quota)
        outbox.add(o.event for o in outcomes if isinstance(o, IssueResult) and o.event)
        return outcomes

    outcomes = await runtime.write(issue)
    too_fast = [o for o in outcomes if isinstance(o, DomainError) and o.code == "rate_limited"]
    if too_fast:
        # The tickets that went through are committed (and told); the kiosk sends the
        # batch again later and gets them back as replays (free), the rest as they fit.
        raise api_error(too_fast[0])
    results: list[TicketBatchResult] = []
    for item, outcome in zip(body.tickets, outcomes, strict=True):
        if isinstance(outcome, DomainError):
            error = ErrorBody(code=outcome.code, message=outcome.message, field=outcome.field)
            results.append(TicketBatchResult(idempotency_key=item.idempotency_key, error=error))
            continue
        results.append(
            TicketBatchResult(idempotency_key=item.idempotency_key, ticket=outcome.ticket)
        )
    return TicketBatchPublic(results=results)


@router.get(
    "/public/tickets/{public_id}",
    response_model=TicketPublic,
    responses=error_responses(404),
)
async def public_ticket(public_id: str, runtime: Runtime) -> TicketPublic:
    """Anyone holding the unguessable id may see the ticket's state (no personal data)."""
    ticket = None
    if PUBLIC_ID.match(public_id):
        ticket = await runtime.db.read(lambda c: runtime.view.by_public_id(c, public_id))
    if ticket is None:
        raise ApiError(404, "unknown_ticket", "找不到这张号码单", field="public_id")
    return ticket
