"""HallClient's ticket calls (used by the coming outbox) against the real server."""

from __future__ import annotations

import uuid

import pytest

from kiosk.core.content import parse_snapshot
from kiosk.core.wire import (
    LeaseCreate,
    LeasedNumber,
    TicketBatchCreate,
    TicketBatchItem,
    TicketCreate,
)
from kiosk.sync.client import HallClient
from kiosk.sync.errors import RequestRejected
from tests.utils.sync_halls import Hall


def _queue(client: HallClient) -> str:
    raw = client.get_content(None).raw
    assert raw is not None
    return parse_snapshot(raw).content.queues[0].code


def test_issue_is_idempotent(hall: Hall) -> None:
    with HallClient(hall.base_url, hall.token) as client:
        queue = _queue(client)
        key = f"test-{uuid.uuid4().hex}"
        first = client.issue_ticket(TicketCreate(queue=queue), key)
        again = client.issue_ticket(TicketCreate(queue=queue), key)
        assert first.id == again.id and first.number == again.number
        assert first.number.startswith(queue)
        other = client.issue_ticket(TicketCreate(queue=queue), f"test-{uuid.uuid4().hex}")
        assert other.number != first.number


def test_bad_ticket_request_is_rejected_with_the_servers_code(hall: Hall) -> None:
    with HallClient(hall.base_url, hall.token) as client:
        queues = {
            q.code for q in parse_snapshot(client.get_content(None).raw or b"").content.queues
        }
        unknown = next(c for c in "ZYXWVUTSRQ" if c not in queues)
        with pytest.raises(RequestRejected) as info:
            client.issue_ticket(TicketCreate(queue=unknown), f"test-{uuid.uuid4().hex}")
        assert 400 <= info.value.status < 500
        assert info.value.code not in ("", "http_error")


def test_lease_then_deliver_an_offline_batch(hall: Hall) -> None:
    with HallClient(hall.base_url, hall.token) as client:
        queue = _queue(client)
        lease = client.lease(LeaseCreate(queue=queue, count=3))
        assert lease.end - lease.start + 1 == 3
        number = LeasedNumber(
            service_day=lease.service_day,
            seq=lease.start,
            text=f"{queue}{lease.start:03d}",
            lease_id=lease.lease_id,
        )
        key = f"offline-{uuid.uuid4().hex}"
        batch = TicketBatchCreate(
            tickets=[TicketBatchItem(queue=queue, number=number, idempotency_key=key)]
        )
        (result,) = client.issue_batch(batch).results
        assert result.error is None, result.error
        assert result.ticket is not None and result.ticket.number == number.text
        (again,) = client.issue_batch(batch).results  # a retry of the same backlog
        assert again.ticket is not None and again.ticket.id == result.ticket.id
