"""Issuing tickets: numbering, idempotency, leases and offline numbers, batch delivery,
and the public ticket status."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import re

from kiosk.core.tickets import new_public_id
from tests.utils.server_api import Hall, assert_error


def test_issue_numbers_a_queue_in_order(hall: Hall) -> None:
    first = hall.issue("C")
    second = hall.issue("C")
    assert first.status_code == 201, first.text
    a, b = first.json(), second.json()
    assert re.fullmatch(r"C\d{3}", a["number"])
    assert int(b["number"][1:]) == int(a["number"][1:]) + 1
    assert a["state"] == "waiting" and a["hall_id"] == hall.id and a["queue"] == "C"
    assert b["people_ahead"] == a["people_ahead"] + 1
    assert b["estimated_wait_minutes"] >= 4  # default 4 minutes per person, one window
    assert a["url"].endswith(f"/t/{a['id']}")
    assert len(a["id"]) >= 20


def test_same_key_same_ticket_other_body_conflict(hall: Hall) -> None:
    key = hall.key()
    body = {"queue": "A", "service_id": "dibao"}
    first = hall.kiosk.post("/tickets", json=body, headers={"Idempotency-Key": key})
    again = hall.kiosk.post("/tickets", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["number"] == first.json()["number"]
    other = hall.kiosk.post("/tickets", json={"queue": "B"}, headers={"Idempotency-Key": key})
    assert_error(other, 409, "idempotency_conflict")


def test_ten_identical_requests_racing_make_one_ticket(hall: Hall) -> None:
    key = hall.key()

    def send(_: int) -> tuple[int, str]:
        r = hall.kiosk.post("/tickets", json={"queue": "B"}, headers={"Idempotency-Key": key})
        return r.status_code, r.json()["id"]

    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        results = list(pool.map(send, range(10)))
    assert len({ticket_id for _, ticket_id in results}) == 1
    assert sorted(code for code, _ in results) == [200] * 9 + [201]


def test_concurrent_issues_never_repeat_a_number(hall: Hall) -> None:
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        numbers = list(pool.map(lambda _: hall.issue("B").json()["number"], range(40)))
    assert len(set(numbers)) == 40


def test_idempotency_key_is_required_and_checked(hall: Hall) -> None:
    missing = hall.kiosk.post("/tickets", json={"queue": "A"})
    assert assert_error(missing, 422)["field"] == "Idempotency-Key"
    bad = hall.kiosk.post("/tickets", json={"queue": "A"}, headers={"Idempotency-Key": "short"})
    assert_error(bad, 422)


def test_unknown_queue_or_service_is_named(hall: Hall) -> None:
    err = assert_error(hall.issue("Z"), 422, "unknown_queue")
    assert err["field"] == "queue" and "Z" in err["message"]
    err = assert_error(hall.issue("A", service_id="no-such-service"), 422, "unknown_service")
    assert err["field"] == "service_id"
    err = assert_error(hall.issue("a"), 422, "invalid_request")
    assert err["field"] == "queue"


def test_priority_tickets_are_ahead(hall: Hall) -> None:
    normal = hall.issue("C").json()
    urgent = hall.issue("C", priority=True).json()
    assert urgent["priority"] is True
    assert urgent["people_ahead"] < normal["people_ahead"] + 1
    status = hall.anon.get(f"/public/tickets/{normal['id']}").json()
    assert status["people_ahead"] == normal["people_ahead"] + 1


def test_staff_may_issue_for_their_hall(hall: Hall) -> None:
    r = hall.issue("A", client=hall.staff)
    assert r.status_code == 201, r.text
    assert r.json()["hall_id"] == hall.id
    # A district admin belongs to no hall.
    assert_error(hall.issue("A", client=hall.admin), 422, "unknown_hall")


def test_public_ticket_status(hall: Hall) -> None:
    ticket = hall.issue("A").json()
    r = hall.anon.get(f"/public/tickets/{ticket['id']}")
    assert r.status_code == 200
    assert r.json()["number"] == ticket["number"]
    assert_error(hall.anon.get("/public/tickets/nonexistent-ticket-id"), 404, "unknown_ticket")


def test_lease_then_deliver_offline_numbers(hall: Hall) -> None:
    lease = hall.kiosk.post("/kiosk/leases", json={"queue": "A", "count": 5})
    assert lease.status_code == 201, lease.text
    block = lease.json()
    assert block["end"] - block["start"] == 4
    # The server's own numbering continues after the block.
    after = hall.issue("A").json()
    assert int(after["number"][1:]) == block["end"] + 1
    seq = block["start"] + 1
    number = {
        "service_day": block["service_day"],
        "seq": seq,
        "text": f"A{seq:03d}",
        "lease_id": block["lease_id"],
    }
    r = hall.issue("A", number=number)
    assert r.status_code == 201, r.text
    assert r.json()["number"] == f"A{seq:03d}"
    # The same number again (with another key) is refused: numbers never repeat.
    assert_error(hall.issue("A", number=number), 409, "number_taken")
    outside = {**number, "seq": block["end"] + 1, "text": f"A{block['end'] + 1:03d}"}
    assert assert_error(hall.issue("A", number=outside), 422, "invalid_number")["field"] == (
        "number.seq"
    )
    wrong_queue = {**number, "text": f"B{seq:03d}"}
    assert_error(hall.issue("B", number=wrong_queue), 422, "unknown_lease")
    assert_error(hall.kiosk.post("/kiosk/leases", json={"queue": "Z"}), 422, "unknown_queue")
    assert_error(hall.kiosk.post("/kiosk/leases", json={"queue": "A", "count": 0}), 422)


def test_fallback_series_of_this_kiosk_only(hall: Hall) -> None:
    today = dt.date.fromisoformat(hall.issue("C").json()["service_day"])
    mine = {"service_day": today.isoformat(), "seq": 1, "text": f"C{hall.kiosk_no}-001"}
    r = hall.issue("C", number=mine)
    assert r.status_code == 201, r.text
    assert r.json()["number"] == f"C{hall.kiosk_no}-001"
    other_no = hall.kiosk_no + 1
    theirs = {"service_day": today.isoformat(), "seq": 1, "text": f"C{other_no}-001"}
    assert_error(hall.issue("C", number=theirs), 422, "invalid_number")
    mismatch = {"service_day": today.isoformat(), "seq": 2, "text": f"C{hall.kiosk_no}-001"}
    assert_error(hall.issue("C", number=mismatch), 422, "invalid_number")
    long_ago = {"service_day": "2020-01-01", "seq": 2, "text": f"C{hall.kiosk_no}-002"}
    assert_error(hall.issue("C", number=long_ago), 422, "invalid_number")
    # Only kiosks number offline.
    assert_error(hall.issue("C", client=hall.staff, number=mine), 422, "invalid_number")


def test_batch_delivers_each_item_or_its_error(hall: Hall) -> None:
    today = hall.issue("C").json()["service_day"]
    good_key, bad_key, dup_key = hall.key(), hall.key(), hall.key()
    items = [
        {
            "idempotency_key": good_key,
            "queue": "C",
            "number": {"service_day": today, "seq": 50, "text": f"C{hall.kiosk_no}-050"},
        },
        {"idempotency_key": bad_key, "queue": "Z"},
        {"idempotency_key": dup_key, "queue": "A", "priority": True},
    ]
    r = hall.kiosk.post("/tickets/batch", json={"tickets": items})
    assert r.status_code == 200, r.text
    results = {x["idempotency_key"]: x for x in r.json()["results"]}
    assert results[good_key]["ticket"]["number"] == f"C{hall.kiosk_no}-050"
    assert results[bad_key]["ticket"] is None
    assert results[bad_key]["error"]["code"] == "unknown_queue"
    assert results[dup_key]["ticket"]["priority"] is True
    # Delivered again (a retry after a lost answer): the same tickets, nothing new.
    again = hall.kiosk.post("/tickets/batch", json={"tickets": items}).json()["results"]
    assert again[0]["ticket"]["id"] == results[good_key]["ticket"]["id"]
    assert again[2]["ticket"]["id"] == results[dup_key]["ticket"]["id"]
    assert_error(hall.kiosk.post("/tickets/batch", json={"tickets": []}), 422)
    assert_error(hall.staff.post("/tickets/batch", json={"tickets": items}), 403)


def test_people_ahead_in_a_concurrent_burst_matches_the_queue(hall: Hall) -> None:
    """Tickets issued together (one group commit) still count who is ahead exactly."""
    with concurrent.futures.ThreadPoolExecutor(10) as pool:
        issued = list(pool.map(lambda i: hall.issue("B", priority=i % 7 == 0).json(), range(30)))
    for ticket in issued:
        now = hall.anon.get(f"/public/tickets/{ticket['id']}").json()
        if ticket["priority"]:
            # Later priority tickets queue behind it; nothing can have jumped ahead.
            assert now["people_ahead"] == ticket["people_ahead"]
        else:
            # Only priority tickets issued after it may have gone ahead.
            later_priority = sum(
                1 for t in issued if t["priority"] and t["issued_at"] > ticket["issued_at"]
            )
            assert (
                ticket["people_ahead"]
                <= now["people_ahead"]
                <= (ticket["people_ahead"] + later_priority)
            )
    normal = sorted(t["people_ahead"] for t in issued if not t["priority"])
    assert len(set(normal)) == len(normal)


def test_batch_of_many_with_a_key_repeated_inside(hall: Hall) -> None:
    keys = [hall.key() for _ in range(40)]
    items = [{"idempotency_key": k, "queue": "AB"[i % 2]} for i, k in enumerate(keys)]
    items.append({"idempotency_key": keys[3], "queue": "B"})  # the same request again
    items.append({"idempotency_key": keys[4], "queue": "B"})  # same key, other body
    r = hall.kiosk.post("/tickets/batch", json={"tickets": items})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["idempotency_key"] for x in results] == [i["idempotency_key"] for i in items]
    tickets = [x["ticket"] for x in results[:40]]
    assert all(t is not None for t in tickets)
    assert len({t["number"] for t in tickets}) == 40
    assert results[40]["ticket"]["id"] == tickets[3]["id"]
    assert results[41]["error"]["code"] == "idempotency_conflict"
    for ticket in tickets[-4:]:
        now = hall.anon.get(f"/public/tickets/{ticket['id']}").json()
        assert now["people_ahead"] == ticket["people_ahead"]


def test_kiosk_minted_public_id_is_kept_and_a_taken_one_replaced(hall: Hall) -> None:
    mine = new_public_id()
    key = hall.key()
    first = hall.kiosk.post(
        "/tickets", json={"queue": "A", "public_id": mine}, headers={"Idempotency-Key": key}
    )
    assert first.status_code == 201, first.text
    assert first.json()["id"] == mine and first.json()["url"].endswith(f"/t/{mine}")
    # The same ticket delivered again (its answer was lost): the same ticket, same id.
    again = hall.kiosk.post(
        "/tickets", json={"queue": "A", "public_id": mine}, headers={"Idempotency-Key": key}
    )
    assert again.status_code == 200 and again.json()["id"] == mine
    # Another ticket with the same id: issued, but under an id of the server's, which the
    # answer names; its own re-delivery keeps that one.
    other_key = hall.key()
    clash = hall.kiosk.post(
        "/tickets", json={"queue": "B", "public_id": mine}, headers={"Idempotency-Key": other_key}
    )
    assert clash.status_code == 201, clash.text
    theirs = clash.json()["id"]
    assert theirs != mine and len(theirs) == len(mine)
    assert clash.json()["url"].endswith(f"/t/{theirs}")
    replay = hall.kiosk.post(
        "/tickets", json={"queue": "B", "public_id": mine}, headers={"Idempotency-Key": other_key}
    )
    assert replay.status_code == 200 and replay.json()["id"] == theirs
    # The first ticket's page is still the first ticket's.
    assert hall.anon.get(f"/public/tickets/{mine}").json()["number"] == first.json()["number"]
    assert hall.anon.get(f"/public/tickets/{theirs}").json()["number"] == clash.json()["number"]


def test_batch_keeps_minted_ids_and_replaces_repeated_ones(hall: Hall) -> None:
    taken = hall.issue("C", public_id=new_public_id()).json()["id"]
    fresh, repeated = new_public_id(), new_public_id()
    keys = [hall.key() for _ in range(4)]
    items = [
        {"idempotency_key": keys[0], "queue": "C", "public_id": fresh},
        {"idempotency_key": keys[1], "queue": "C", "public_id": taken},
        {"idempotency_key": keys[2], "queue": "A", "public_id": repeated},
        {"idempotency_key": keys[3], "queue": "A", "public_id": repeated},
    ]
    r = hall.kiosk.post("/tickets/batch", json={"tickets": items})
    assert r.status_code == 200, r.text
    ids = [x["ticket"]["id"] for x in r.json()["results"]]
    assert ids[0] == fresh and ids[2] == repeated
    assert ids[1] != taken and ids[3] != repeated and len({*ids, taken}) == 5
    again = hall.kiosk.post("/tickets/batch", json={"tickets": items}).json()["results"]
    assert [x["ticket"]["id"] for x in again] == ids


def test_a_minted_public_id_must_be_as_strong_as_the_servers(hall: Hall) -> None:
    for weak in ["short", "A" * 21, "A" * 23, "x" * 21 + "/", 12345]:
        r = hall.issue("A", public_id=weak)
        assert assert_error(r, 422)["field"].endswith("public_id"), (weak, r.text)
