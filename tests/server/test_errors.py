"""Bad input always gets a JSON 4xx naming what is wrong; never a 5xx."""

from __future__ import annotations

import requests

from tests.utils.server_api import Hall, assert_error
from tests.utils.servers import RunningServer


def test_unknown_route_and_wrong_method(server: RunningServer) -> None:
    assert_error(requests.get(f"{server.api}/no-such-thing", timeout=30), 404, "not_found")
    assert_error(requests.delete(f"{server.api}/health", timeout=30), 405, "method_not_allowed")
    hall_content = f"{server.api}/halls/some-hall/content"  # a GET route and a PUT route
    wrong = requests.delete(hall_content, timeout=30)
    assert_error(wrong, 405, "method_not_allowed")
    assert set(wrong.headers["Allow"].split(", ")) == {"GET", "HEAD", "PUT"}, wrong.headers


def test_validation_errors_name_the_field(hall: Hall) -> None:
    key = {"Idempotency-Key": hall.key()}
    err = assert_error(
        hall.kiosk.post("/tickets", json={"queue": "A", "priority": "maybe"}, headers=key),
        422,
        "invalid_request",
    )
    assert err["field"] == "priority"
    err = assert_error(
        hall.kiosk.post("/tickets", json={"queue": "A", "colour": "red"}, headers=key), 422
    )
    assert err["field"] == "colour"
    err = assert_error(hall.kiosk.post("/tickets", json={}, headers=key), 422)
    assert err["field"] == "queue"
    err = assert_error(
        hall.kiosk.post(
            "/tickets", data=b"{oops", headers={**key, "Content-Type": "application/json"}
        ),
        422,
    )
    assert err["field"] == "body"
    err = assert_error(hall.kiosk.post("/tickets", json=[1, 2], headers=key), 422)
    err = assert_error(
        hall.kiosk.post("/tickets", json={"queue": "A", "number": {"seq": 0}}, headers=key), 422
    )
    assert err["field"].startswith("number.")


def test_times_are_iso_text_with_an_offset_never_numbers(hall: Hall) -> None:
    """Pydantic alone reads ``issued_at: 0`` as 1970: the wire refuses it, and naive times."""
    for wrong in (0, 1.7e9, True, "2026-11-26T09:30:00"):
        err = assert_error(hall.issue("A", issued_at=wrong), 422, "invalid_request")
        assert err["field"] == "issued_at", err
        assert "2026-11-26T09:30:00+08:00" in err["message"], err
    number = {"service_day": 0, "seq": 1, "text": "A001"}
    err = assert_error(hall.issue("A", number=number), 422, "invalid_request")
    assert err["field"] == "number.service_day", err
    beat = {"app_version": "t", "last_sync": "2026-11-26T09:30:00"}
    err = assert_error(hall.kiosk.post("/kiosk/heartbeat", json=beat), 422)
    assert err["field"] == "last_sync", err
    ok = hall.issue("A", issued_at="2026-11-26T09:30:00+08:00")
    assert ok.status_code == 201, ok.text


def test_oversized_bodies_get_413(hall: Hall) -> None:
    big = b"x" * 400_000  # the test server's limit is 300,000 bytes
    r = hall.staff.post("/media", data=big)
    assert_error(r, 413, "payload_too_large")

    def chunks():  # no Content-Length: the size is only known while streaming
        for _ in range(40):
            yield b"y" * 10_000

    r = hall.staff.post("/media", data=chunks())
    assert_error(r, 413, "payload_too_large")
    r = hall.staff.put(
        f"/halls/{hall.id}/content", data=big, headers={"Content-Type": "application/json"}
    )
    assert_error(r, 413)
    # Still serving afterwards.
    assert hall.kiosk.get("/kiosk/content").status_code == 200


def test_path_parameters_are_checked_before_the_database(hall: Hall) -> None:
    assert_error(hall.staff.post(f"/counters/{2**70}/call-next"), 422)
    assert_error(hall.staff.post("/counters/0/call-next"), 422)
    err = assert_error(hall.staff.get("/halls/NOT%20A%20SLUG/content"), 422)
    assert err["field"] == "hall_id"
    assert_error(hall.staff.get("/halls/x%00y/content"), 422)
    assert_error(hall.staff.get("/counters", params={"hall_id": "a\x00b"}), 422)
    assert_error(hall.anon.get("/public/tickets/bad%00id-123456"), 404)
    r = requests.post(
        f"{hall.server.api}/auth/token", json={"username": "a\x00b", "password": "x"}, timeout=30
    )
    assert assert_error(r, 422, "invalid_request")["field"] == "username"  # no NUL in text
    huge = {"service_day": "2026-01-01", "seq": 1, "text": "A001", "lease_id": 2**70}
    r = hall.issue("A", number=huge)
    assert 400 <= r.status_code < 500, r.text
