"""Issue 10 §3 and §7 (times): every date and time the server takes lies in 2000–2100 and
is ISO 8601 text, or it is refused with a 422 naming the field — content PUT, a staff
member's status, tickets (single and batch), the kiosk heartbeat and the admin forms.

``9999-12-31T23:59:59+00:00`` as a return time once stopped every kiosk of a hall;
``"issued_at": "1700000000"`` was stored as 2023-11-14. A real ``kiosk-server demo`` on
loopback with its SQLite file; nothing is mocked.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.utils.admin_web import AdminClient, staff_client
from tests.utils.servers import RunningServer, start_server

TIMEOUT = 30
HALL = "mingshi-haoting"

#: Times that must be refused wherever a date and time is taken.
BAD_MOMENTS = {
    "year 9999": "9999-12-31T23:59:59+00:00",
    "year 1": "0001-01-01T00:00:00+00:00",
    "before 2000": "1999-12-31T23:59:59+00:00",
    "after 2100": "2101-01-01T00:00:00+00:00",
    "after 2100 in UTC": "2100-12-31T23:59:59-12:00",
    "numeric string": "1700000000",
    "float string": "1.7e9",
    "number": 1700000000,
    "space for T": "2026-11-26 09:30:00+08:00",
    "week date": "2026-W48-4T09:30:00+08:00",
    "date only": "2026-11-26",
    "words": "tomorrow",
}
#: The limits the rule allows (both ends).
LIMIT_MOMENTS = ["2000-01-01T00:00:00+00:00", "2100-12-31T23:59:59+00:00", "2100-12-31T23:59Z"]

BAD_DAYS = {
    "year 9999": "9999-12-31",
    "before 2000": "1999-12-31",
    "after 2100": "2101-01-01",
    "number": 20261126,
    "numeric string": "20261126",
    "with a time": "2026-11-26T00:00:00+08:00",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(
        tmp_path_factory.mktemp("time-fields"),
        extra_env={"KIOSK_SERVER_AUTH_CACHE_SECONDS": "0.2"},
    )
    yield running
    running.stop()


def _token(server: RunningServer, login: dict[str, str]) -> dict[str, str]:
    r = requests.post(f"{server.api}/auth/token", json=login, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture(scope="module")
def staff_auth(server: RunningServer) -> dict[str, str]:
    return _token(server, server.credentials["staff"][HALL])


@pytest.fixture(scope="module")
def kiosk_auth(server: RunningServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.credentials['kiosks'][HALL]['token']}"}


def _content(server: RunningServer, auth: dict[str, str]) -> dict[str, Any]:
    r = requests.get(f"{server.api}/halls/{HALL}/content", headers=auth, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    snapshot: dict[str, Any] = r.json()
    return snapshot


def _refused(r: requests.Response, field: str) -> dict[str, Any]:
    assert r.status_code == 422, (r.status_code, r.text[:500])
    error: dict[str, Any] = r.json()["error"]
    assert error["field"] == field, error
    assert field in error["message"], error
    return error


def _content_paths(content: dict[str, Any]) -> dict[str, tuple[list[Any], str]]:
    """Every date/time field of the content: path → (where in the dict, key)."""
    room = next(i for i, r in enumerate(content["rooms"]) if r.get("events"))
    notice = 0
    content["notices"][notice].setdefault("publish_until", None)
    content["staff"][0]["status"] = "visiting"
    return {
        "staff[0].status_until": (["staff", 0], "status_until"),
        f"notices[{notice}].publish_from": (["notices", notice], "publish_from"),
        f"notices[{notice}].publish_until": (["notices", notice], "publish_until"),
        f"rooms[{room}].events[0].date": (["rooms", room, "events", 0], "date"),
    }


def _set(content: dict[str, Any], where: list[Any], key: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(content)
    item: Any = doc
    for part in where:
        item = item[part]
    item[key] = value
    return doc


def test_content_put_refuses_out_of_range_and_non_iso_times_naming_the_field(
    server: RunningServer, staff_auth: dict[str, str]
) -> None:
    snapshot = _content(server, staff_auth)
    content = snapshot["content"]
    paths = _content_paths(content)
    url = f"{server.api}/halls/{HALL}/content"
    for path, (where, key) in paths.items():
        bad = BAD_DAYS if key == "date" else BAD_MOMENTS
        for case, value in bad.items():
            r = requests.put(url, json=_set(content, where, key, value), headers=staff_auth)
            error = _refused(r, path)
            assert error["code"] == "invalid_content", (path, case)
    assert _content(server, staff_auth)["version"] == snapshot["version"]  # nothing stored


def test_content_put_takes_both_limits(server: RunningServer, staff_auth: dict[str, str]) -> None:
    content = _content(server, staff_auth)["content"]
    paths = _content_paths(content)
    url = f"{server.api}/halls/{HALL}/content"
    early, late = LIMIT_MOMENTS[0], LIMIT_MOMENTS[1]
    doc = _set(content, *paths["staff[0].status_until"], late)
    room_path = next(p for p in paths if p.startswith("rooms"))
    doc = _set(doc, *paths[room_path], "2100-12-31")
    doc = _set(doc, *paths["notices[0].publish_from"], early)
    doc = _set(doc, *paths["notices[0].publish_until"], late)
    r = requests.put(url, json=doc, headers=staff_auth, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    stored = r.json()["content"]
    assert stored["staff"][0]["status_until"].startswith("2100-12-31T23:59:59")
    assert stored["notices"][0]["publish_from"].startswith("2000-01-01T00:00:00")


def test_staff_status_refuses_year_9999_and_numbers(
    server: RunningServer, staff_auth: dict[str, str]
) -> None:
    before = _content(server, staff_auth)
    staff_id = before["content"]["staff"][1]["id"]
    url = f"{server.api}/halls/{HALL}/staff/{staff_id}/status"
    for case, value in BAD_MOMENTS.items():
        r = requests.post(
            url, json={"status": "leave", "status_until": value}, headers=staff_auth, timeout=30
        )
        assert _refused(r, "status_until")["code"] == "invalid_request", case
    naive = requests.post(
        url, json={"status": "leave", "status_until": "2026-12-01T09:00:00"}, headers=staff_auth
    )
    assert "时区" in _refused(naive, "status_until")["message"]
    assert _content(server, staff_auth)["version"] == before["version"]
    for value in LIMIT_MOMENTS:
        r = requests.post(
            url, json={"status": "leave", "status_until": value}, headers=staff_auth, timeout=30
        )
        assert r.status_code == 200, r.text


def _ticket(server: RunningServer, auth: dict[str, str], body: dict[str, Any]) -> requests.Response:
    return requests.post(
        f"{server.api}/tickets",
        json=body,
        headers={**auth, "Idempotency-Key": f"time-{uuid.uuid4().hex}"},
        timeout=TIMEOUT,
    )


def test_ticket_issued_at_is_iso_text_in_range(
    server: RunningServer, kiosk_auth: dict[str, str]
) -> None:
    for value in BAD_MOMENTS.values():
        _refused(_ticket(server, kiosk_auth, {"queue": "A", "issued_at": value}), "issued_at")
    naive = _ticket(server, kiosk_auth, {"queue": "A", "issued_at": "2026-12-01T09:00:00"})
    assert "时区" in _refused(naive, "issued_at")["message"]
    batch = requests.post(
        f"{server.api}/tickets/batch",
        json={
            "tickets": [
                {"queue": "A", "idempotency_key": uuid.uuid4().hex, "issued_at": "1700000000"}
            ]
        },
        headers=kiosk_auth,
        timeout=TIMEOUT,
    )
    _refused(batch, "tickets[0].issued_at")
    ok = _ticket(server, kiosk_auth, {"queue": "A", "issued_at": "2026-12-01T09:00:00+08:00"})
    assert ok.status_code == 201, ok.text


def test_ticket_number_service_day_is_a_day_in_range(
    server: RunningServer, kiosk_auth: dict[str, str]
) -> None:
    for value in BAD_DAYS.values():
        body = {
            "queue": "A",
            "number": {"service_day": value, "seq": 1, "text": "A1-001"},
        }
        _refused(_ticket(server, kiosk_auth, body), "number.service_day")


def test_heartbeat_last_sync_is_iso_text_in_range(
    server: RunningServer, kiosk_auth: dict[str, str]
) -> None:
    url = f"{server.api}/kiosk/heartbeat"
    for value in BAD_MOMENTS.values():
        r = requests.post(
            url, json={"app_version": "t", "last_sync": value}, headers=kiosk_auth, timeout=30
        )
        _refused(r, "last_sync")
    r = requests.post(
        url,
        json={"app_version": "t", "last_sync": "2100-12-31T23:59:59+00:00"},
        headers=kiosk_auth,
        timeout=30,
    )
    assert r.status_code == 204, r.text


def _field_error(page: str, label: str) -> str:
    from tests.admin.test_editing import _field_error as field_error

    return field_error(page, label)


def test_admin_forms_refuse_out_of_range_dates_beside_the_field(server: RunningServer) -> None:
    staff: AdminClient = staff_client(server, HALL)
    before = _content(server, _token(server, server.credentials["staff"][HALL]))["version"]
    notice = {
        "f_id": "range-check",
        "f_title": "测试",
        "f_board": "disclosure",
        "f_category": "财务公开",
        "f_body": "正文",
        "f_publish_from": "2026-12-10T09:00",
    }
    for bad in ("9999-12-31T23:59", "1999-12-31T23:59", "1700000000", "2026-13-10 09:00"):
        r = staff.post(f"/admin/halls/{HALL}/notices/new", {**notice, "f_publish_from": bad})
        assert r.status_code == 422, (bad, r.status_code)
        assert _field_error(r.text, "开始显示"), bad
    r = staff.post(
        f"/admin/halls/{HALL}/notices/new", {**notice, "f_publish_until": "2101-01-01T00:00"}
    )
    assert r.status_code == 422 and "超出范围" in _field_error(r.text, "停止显示")

    snapshot = _content(server, _token(server, server.credentials["staff"][HALL]))
    room = next(r for r in snapshot["content"]["rooms"])
    event = {"f_title": "讲座", "f_date": "9999-12-31", "f_start": "09:00", "f_end": "10:00"}
    r = staff.post(f"/admin/halls/{HALL}/rooms/{room['id']}/events/new", event)
    assert r.status_code == 422, r.status_code
    assert "超出范围" in _field_error(r.text, "日期")

    member = snapshot["content"]["staff"][2]["id"]
    r = staff.post(
        f"/admin/halls/{HALL}/staff/{member}/status",
        {"status": "leave", "until_date": "9999-12-31", "until_time": "09:00"},
    )
    flash = staff.flash(r)
    assert "返回日期" in flash and "超出范围" in flash, flash
    for query in ("to=9999-12-31", "to=0001-01-01", "from=1700000000"):
        page = staff.get(f"/admin/stats?{query}")
        assert page.status_code == 400, (query, page.status_code)
    after = _content(server, _token(server, server.credentials["staff"][HALL]))["version"]
    assert after == before
