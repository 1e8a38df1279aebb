"""Every auth rule: who may call what, and what a bad or missing token gets."""

from __future__ import annotations

import hashlib
import json
import time

import pytest
import requests
import sqlalchemy as sa

from tests.utils.server_api import Client, Hall, assert_error, bearer, staff_login
from tests.utils.servers import RunningServer, run_cli

KIOSK_ROUTES = [
    ("GET", "/kiosk/content", None),
    ("POST", "/kiosk/leases", {"queue": "A"}),
    ("GET", "/kiosk/events", None),
    ("POST", "/kiosk/heartbeat", {"app_version": "test"}),
    ("POST", "/tickets/batch", {"tickets": [{"idempotency_key": "k-12345678", "queue": "A"}]}),
]


def _staff_routes(hall: Hall) -> list[tuple[str, str, object]]:
    return [
        ("GET", "/halls", None),
        ("GET", f"/halls/{hall.id}/content", None),
        ("PUT", f"/halls/{hall.id}/content", {}),
        ("POST", f"/halls/{hall.id}/staff/wang/status", {"status": "leave"}),
        ("POST", "/media", None),
        ("GET", "/counters", None),
        ("POST", f"/counters/{hall.counters[1]}/call-next", None),
        ("POST", f"/counters/{hall.counters[1]}/recall", None),
        ("POST", f"/counters/{hall.counters[1]}/start", None),
        ("POST", f"/counters/{hall.counters[1]}/no-show", None),
        ("POST", f"/counters/{hall.counters[1]}/complete", None),
        ("POST", f"/counters/{hall.counters[1]}/transfer", {"queue": "B"}),
    ]


def test_kiosk_token_on_staff_routes_is_forbidden(hall: Hall) -> None:
    for method, path, body in _staff_routes(hall):
        err = assert_error(hall.kiosk(method, path, json=body), 403, "forbidden")
        assert err["message"]


def test_staff_token_on_kiosk_routes_is_forbidden(hall: Hall) -> None:
    for method, path, body in KIOSK_ROUTES:
        assert_error(hall.staff(method, path, json=body), 403, "forbidden")


@pytest.mark.parametrize("token", [None, "wrong-token", "Basic abc"])
def test_missing_or_wrong_token_is_unauthorized(hall: Hall, token: str | None) -> None:
    routes = [*KIOSK_ROUTES, *_staff_routes(hall), ("POST", "/tickets", {"queue": "A"})]
    for method, path, body in routes:
        headers = {"Idempotency-Key": "abcdefgh1"}
        if token == "Basic abc":
            headers["Authorization"] = token
        elif token:
            headers.update(bearer(token))
        r = requests.request(
            method, f"{hall.server.api}{path}", json=body, headers=headers, timeout=30
        )
        assert_error(r, 401)
        assert r.headers.get("WWW-Authenticate") == "Bearer"


def test_hall_staff_only_reach_their_own_hall(hall: Hall, server: RunningServer) -> None:
    other_hall, other = next(iter(server.credentials["staff"].items()))
    assert other_hall != hall.id
    stranger = staff_login(server, other["username"], other["password"])
    assert_error(stranger.get(f"/halls/{hall.id}/content"), 403)
    assert_error(stranger.put(f"/halls/{hall.id}/content", json={}), 403)
    assert_error(
        stranger.post(f"/halls/{hall.id}/staff/wang/status", json={"status": "leave"}), 403
    )
    assert_error(stranger.post(f"/counters/{hall.counters[1]}/call-next"), 403)
    # The district admin reaches every hall.
    assert hall.admin.get(f"/halls/{hall.id}/content").status_code == 200
    assert hall.admin.get(f"/halls/{other_hall}/content").status_code == 200


def test_hall_staff_cannot_create_a_hall(hall: Hall) -> None:
    from tests.utils.server_api import hall_content

    r = hall.staff.put("/halls/new-hall-x/content", json=hall_content("new-hall-x"))
    assert_error(r, 403)
    r = hall.admin.put("/halls/no-such-hall/content", json=hall_content("other-id"))
    assert_error(r, 422)


def test_login_errors(server: RunningServer) -> None:
    url = f"{server.api}/auth/token"
    r = requests.post(url, json={"username": "admin", "password": "wrong"}, timeout=30)
    assert_error(r, 401, "invalid_credentials")
    r = requests.post(url, json={"username": "nobody", "password": "x"}, timeout=30)
    assert_error(r, 401, "invalid_credentials")
    assert (
        assert_error(requests.post(url, json={"username": "admin"}, timeout=30), 422)["field"]
        == "password"
    )


def test_kiosk_heartbeat(hall: Hall) -> None:
    r = hall.kiosk.post(
        "/kiosk/heartbeat",
        json={"app_version": "0.1.0", "content_version": 1, "outbox_backlog": 2, "uptime_s": 5.5},
    )
    assert r.status_code == 204, r.text
    url = hall.server.database_url or f"sqlite:///{hall.server.data_dir / 'kiosk.sqlite3'}"
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                sa.text(
                    "SELECT last_heartbeat, last_seen_at FROM kiosk_devices WHERE token_hash = :h"
                ),
                {"h": hashlib.sha256(hall.kiosk_token.encode()).hexdigest()},
            ).one()
    finally:
        engine.dispose()
    report = (
        row.last_heartbeat
        if isinstance(row.last_heartbeat, dict)
        else json.loads(row.last_heartbeat)
    )
    assert report["outbox_backlog"] == 2 and report["app_version"] == "0.1.0"
    assert row.last_seen_at is not None
    assert_error(
        hall.kiosk.post("/kiosk/heartbeat", json={"app_version": "x", "uptime_s": -1}), 422
    )


def test_kiosk_and_staff_may_fetch_media_anyone_else_not(hall: Hall) -> None:
    digest = "0" * 64
    assert_error(hall.kiosk.get(f"/media/{digest}"), 404)
    assert_error(hall.staff.get(f"/media/{digest}"), 404)
    assert_error(hall.anon.get(f"/media/{digest}"), 401)


def test_revoked_kiosk_token_stops_working(hall: Hall, server: RunningServer) -> None:
    out = run_cli(
        "add-kiosk", hall.id, data_dir=server.data_dir, database_url=server.database_url
    ).stdout
    token = out.strip().splitlines()[-1]
    device_id = out.split("kiosk ")[1].split(" ")[0]
    kiosk = Client(server.api, token)
    assert kiosk.get("/kiosk/content").status_code == 200
    run_cli("revoke-kiosk", device_id, data_dir=server.data_dir, database_url=server.database_url)
    deadline = time.monotonic() + 30
    while kiosk.get("/kiosk/content").status_code != 401:
        assert time.monotonic() < deadline, "revoked token still accepted"
        time.sleep(0.2)
    assert_error(kiosk.get("/kiosk/content"), 401, "invalid_token")
