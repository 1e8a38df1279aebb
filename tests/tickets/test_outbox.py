"""The outbox on its own (a real SQLite file, no server): numbering from leases, then the
fallback series; restarts; midnight; a wrong clock; people ahead while offline."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from kiosk.core.wire import PUBLIC_ID_PATTERN, KioskQueuesPublic, LeasePublic, QueueWaitingPublic
from kiosk.sync.outbox import NoNumberLeft, TicketOutbox
from tests.utils.ticket_delivery import shanghai


class Clock:
    """A kiosk clock the test sets."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def heard(
    box: TicketOutbox,
    server_time: dt.datetime,
    *,
    kiosk_no: int = 2,
    waiting: dict[str, tuple[int, int]] | None = None,
) -> None:
    """As if the server answered GET /kiosk/queues at ``server_time`` just now."""
    day = server_time.astimezone(box.zone).date()
    info = KioskQueuesPublic(
        time=server_time,
        service_day=day,
        kiosk_no=kiosk_no,
        queues=[
            QueueWaitingPublic(queue=q, waiting=n, estimated_wait_minutes=m)
            for q, (n, m) in (waiting or {}).items()
        ],
    )
    local = box.local_clock()
    box.observe_server(info, local, local)


def lease(lease_id: int, queue: str, day: dt.date, start: int, end: int) -> LeasePublic:
    return LeasePublic(lease_id=lease_id, queue=queue, service_day=day, start=start, end=end)


def test_a_kiosk_that_never_reached_its_server_cannot_number(tmp_path: Path) -> None:
    box = TicketOutbox(tmp_path / "outbox.sqlite3")
    with pytest.raises(NoNumberLeft) as info:
        box.take("A")
    assert "窗口" in info.value.message
    assert box.backlog() == 0


def test_leased_numbers_first_then_the_fallback_series(tmp_path: Path) -> None:
    clock = Clock(shanghai(2026, 11, 26, 9, 0))
    box = TicketOutbox(tmp_path / "outbox.sqlite3", clock=clock)
    heard(box, clock.now)
    day = dt.date(2026, 11, 26)
    box.add_lease(lease(7, "A", day, 21, 22))
    box.add_lease(lease(9, "A", day, 41, 41))
    box.add_lease(lease(8, "A", day - dt.timedelta(days=1), 1, 20))  # yesterday's: unused
    numbers = [box.take("A").number for _ in range(5)]
    assert numbers == ["A021", "A022", "A041", "A2-001", "A2-002"]
    taken = box.tickets()
    assert [t.lease_id for t in taken] == [7, 7, 9, None, None]
    assert all(t.service_day == day and t.status == "pending" for t in taken)
    assert box.backlog() == 5 and box.numbers_left("A") == 0
    assert box.take("B").number == "B2-001"  # each queue its own series


def test_numbers_survive_a_restart(tmp_path: Path) -> None:
    clock = Clock(shanghai(2026, 11, 26, 9, 0))
    path = tmp_path / "outbox.sqlite3"
    box = TicketOutbox(path, clock=clock)
    heard(box, clock.now, kiosk_no=3)
    box.add_lease(lease(1, "A", dt.date(2026, 11, 26), 5, 6))
    first = [box.take("A").number for _ in range(3)]
    box.close()
    again = TicketOutbox(path, clock=clock)  # a restart: the kiosk number is remembered
    assert again.kiosk_no == 3 and again.backlog() == 3
    more = [again.take("A").number for _ in range(2)]
    assert first + more == ["A005", "A006", "A3-001", "A3-002", "A3-003"]
    assert [t.number for t in again.pending()] == first + more


def test_midnight_starts_a_new_day_and_new_series(tmp_path: Path) -> None:
    clock = Clock(shanghai(2026, 11, 26, 23, 59, 58))
    box = TicketOutbox(tmp_path / "outbox.sqlite3", clock=clock)
    heard(box, clock.now)
    box.add_lease(lease(1, "A", dt.date(2026, 11, 26), 30, 31))
    before = [box.take("A") for _ in range(3)]
    clock.now = shanghai(2026, 11, 27, 0, 0, 1)
    after = [box.take("A") for _ in range(2)]
    assert [t.number for t in before] == ["A030", "A031", "A2-001"]
    assert {t.service_day for t in before} == {dt.date(2026, 11, 26)}
    assert [t.number for t in after] == ["A2-001", "A2-002"]  # a new day: the series restarts
    assert {t.service_day for t in after} == {dt.date(2026, 11, 27)}
    assert box.numbers_left("A") == 0  # yesterday's lease is not today's


def test_a_wrong_kiosk_clock_is_corrected_by_the_servers(tmp_path: Path) -> None:
    true_time = shanghai(2026, 11, 26, 23, 55)
    clock = Clock(true_time + dt.timedelta(minutes=10))  # the kiosk says 00:05 tomorrow
    box = TicketOutbox(tmp_path / "outbox.sqlite3", clock=clock)
    heard(box, true_time)
    assert abs(box.clock_offset + 600) < 1
    ticket = box.take("A")
    assert ticket.service_day == dt.date(2026, 11, 26)
    assert abs((ticket.issued_at - true_time).total_seconds()) < 1
    # The offset is kept across a restart (the server may be away then).
    box.close()
    again = TicketOutbox(tmp_path / "outbox.sqlite3", clock=clock)
    assert again.today() == dt.date(2026, 11, 26)


def test_people_ahead_offline_counts_from_the_last_known_queue(tmp_path: Path) -> None:
    clock = Clock(shanghai(2026, 11, 26, 10, 0))
    box = TicketOutbox(tmp_path / "outbox.sqlite3", clock=clock)
    heard(box, clock.now, waiting={"A": (4, 20), "B": (0, 0)})
    a1, a2, b1 = box.take("A"), box.take("A"), box.take("B", windows=1)
    assert (a1.people_ahead, a1.wait_minutes, a1.estimate) == (4, 20, True)
    assert (a2.people_ahead, a2.wait_minutes) == (5, 25)
    assert (b1.people_ahead, b1.wait_minutes) == (0, 0)
    assert box.waiting_counts()["A"] == 6
    # The next day nobody is ahead any more.
    clock.now = shanghai(2026, 11, 27, 8, 30)
    assert box.take("A").people_ahead == 0


def test_priority_and_service_are_kept(tmp_path: Path) -> None:
    clock = Clock(shanghai(2026, 11, 26, 10, 0))
    box = TicketOutbox(tmp_path / "outbox.sqlite3", clock=clock)
    heard(box, clock.now)
    t = box.take("C", "sanitation-complaint", True)
    body = t.batch_item()
    assert body.priority and body.service_id == "sanitation-complaint"
    assert body.number is not None and body.number.text == "C2-001" and body.idempotency_key
    assert box.ticket(t.local_id) == t


def test_each_ticket_gets_its_own_public_id_and_phone_address_at_once(tmp_path: Path) -> None:
    clock = Clock(shanghai(2026, 11, 26, 9, 0))
    path = tmp_path / "outbox.sqlite3"
    box = TicketOutbox(path, clock=clock, kiosk_no=2, public_base_url="http://10.0.0.5:8000")
    first = box.take("A")
    # Before the server named its public address: the configured server address.
    assert first.url == f"http://10.0.0.5:8000/t/{first.public_id}"
    info = KioskQueuesPublic(
        time=clock.now,
        service_day=clock.now.date(),
        kiosk_no=2,
        queues=[],
        public_base_url="https://hall.example.cn",
    )
    box.observe_server(info, box.local_clock(), box.local_clock())
    second = box.take("A")
    assert second.url == f"https://hall.example.cn/t/{second.public_id}"
    assert first.public_id != second.public_id
    assert all(re.fullmatch(PUBLIC_ID_PATTERN, t.public_id or "") for t in (first, second))
    # Stored with the ticket, sent with it, and remembered across a restart.
    assert [t.public_id for t in box.pending()] == [first.public_id, second.public_id]
    assert box.pending()[1].create().public_id == second.public_id
    assert box.pending()[1].batch_item().public_id == second.public_id
    box.close()
    again = TicketOutbox(path, clock=clock)
    assert again.public_base_url == "https://hall.example.cn"
    url = again.take("A").url
    assert url is not None and url.startswith("https://hall.example.cn/t/")
