"""The wire's dates and times (kiosk.core.wire): ISO 8601 text, never numbers; what a
client sends carries its UTC offset."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from kiosk.core import clock
from kiosk.core.wire import Heartbeat, LeasedNumber, StaffStatusUpdate, TicketCreate, TicketPublic

TICKET = {
    "id": "x",
    "number": "A001",
    "hall_id": "h",
    "queue": "A",
    "service_id": None,
    "service_day": "2026-11-26",
    "priority": False,
    "state": "waiting",
    "issued_at": "2026-11-26T01:30:00Z",
    "people_ahead": 0,
    "estimated_wait_minutes": 0,
    "url": "http://x/t/x",
}


@pytest.mark.parametrize("number", [0, 1_764_120_600, 1.5e9, True])
def test_numbers_are_not_times(number: object) -> None:
    with pytest.raises(ValidationError, match="不能是数字"):
        TicketCreate.model_validate({"queue": "A", "issued_at": number})
    with pytest.raises(ValidationError, match="不能是数字"):
        TicketPublic.model_validate({**TICKET, "issued_at": number})
    with pytest.raises(ValidationError, match="不能是数字"):
        LeasedNumber.model_validate({"service_day": number, "seq": 1, "text": "A001"})


def test_times_a_client_sends_need_their_offset() -> None:
    naive = "2026-11-26T09:30:00"
    for model, body in (
        (TicketCreate, {"queue": "A", "issued_at": naive}),
        (Heartbeat, {"app_version": "1", "last_sync": naive}),
        (StaffStatusUpdate, {"status": "visiting", "status_until": naive}),
    ):
        with pytest.raises(ValidationError, match="须带时区"):
            model.model_validate(body)


def test_iso_text_and_aware_datetimes_pass() -> None:
    sent = TicketCreate.model_validate({"queue": "A", "issued_at": "2026-11-26T09:30:00+08:00"})
    assert sent.issued_at == dt.datetime(2026, 11, 26, 1, 30, tzinfo=dt.UTC)
    now = clock.now()
    assert TicketCreate(queue="A", issued_at=now).issued_at == now
    parsed = TicketPublic.model_validate_json(TicketPublic.model_validate(TICKET).model_dump_json())
    assert parsed.service_day == dt.date(2026, 11, 26)
    assert parsed.issued_at == dt.datetime(2026, 11, 26, 1, 30, tzinfo=dt.UTC)
