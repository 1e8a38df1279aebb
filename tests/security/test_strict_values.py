"""Numbers are numbers and text holds no control characters (issue 10 §7), on a real server.

Seen accepted before: ``priority: "yes"``, a lease ``count: "20"``, a heartbeat storing
``content_version: -5``, ``outbox_backlog: 10**400`` and ``uptime_s: Infinity``, and a NUL
in a notice title. Each is now a 422 naming the field (API) or an error beside the field
(admin form), and nothing of it is stored. The rules live once, in ``kiosk/core/values.py``.
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.utils.admin_web import kiosk_content, staff_client
from tests.utils.logins import staff_token
from tests.utils.servers import RunningServer, start_server

HALL = "huayang"
TIMEOUT = 60


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("strict"))
    yield running
    running.stop()


def _kiosk(server: RunningServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.credentials['kiosks'][HALL]['token']}"}


def _post(server: RunningServer, path: str, body: bytes, **headers: str) -> requests.Response:
    return requests.post(
        f"{server.api}{path}",
        data=body,
        headers={"Content-Type": "application/json", **_kiosk(server), **headers},
        timeout=TIMEOUT,
    )


def _refused(r: requests.Response, field: str) -> str:
    assert r.status_code == 422, (r.status_code, r.text[:300])
    error = r.json()["error"]
    assert error["code"] == "invalid_request", error
    assert error["field"] == field, error
    assert error["message"].startswith(f"{field}："), error
    return str(error["message"])


def _heartbeat_row(server: RunningServer) -> Any:
    device = server.credentials["kiosks"][HALL]["device_id"]
    with sqlite3.connect(server.data_dir / "kiosk.sqlite3") as conn:
        row = conn.execute(
            "SELECT last_heartbeat FROM kiosk_devices WHERE id = ?", (device,)
        ).fetchone()
    return json.loads(row[0]) if row and row[0] else None


HEARTBEATS = [
    (b'{"app_version": "1", "content_version": -5}', "content_version", "数值太小"),
    (b'{"app_version": "1", "content_version": "3"}', "content_version", "应为整数"),
    (
        b'{"app_version": "1", "outbox_backlog": 1' + b"0" * 400 + b"}",
        "outbox_backlog",
        "数值太大",
    ),
    (b'{"app_version": "1", "outbox_backlog": 2.5}', "outbox_backlog", "应为整数"),
    (b'{"app_version": "1", "uptime_s": Infinity}', "uptime_s", "有限的数字"),
    (b'{"app_version": "1", "uptime_s": NaN}', "uptime_s", "有限的数字"),
    (b'{"app_version": "1", "uptime_s": "12"}', "uptime_s", "应为数字"),
    (b'{"app_version": "1\\u0000"}', "app_version", "U+0000"),
    (b'{"app_version": "1", "last_error": "bad\\u001b[31m"}', "last_error", "U+001B"),
]


@pytest.mark.parametrize("body,field,says", HEARTBEATS, ids=[h[1] for h in HEARTBEATS])
def test_a_heartbeat_with_a_value_out_of_kind_is_refused_and_not_stored(
    server: RunningServer, body: bytes, field: str, says: str
) -> None:
    good = _post(server, "/kiosk/heartbeat", b'{"app_version": "good", "uptime_s": 5}')
    assert good.status_code == 204, good.text
    stored = _heartbeat_row(server)
    assert stored is not None and stored["app_version"] == "good"
    assert says in _refused(_post(server, "/kiosk/heartbeat", body), field)
    assert _heartbeat_row(server) == stored  # nothing of the bad one was written


def test_a_heartbeat_may_carry_lines_and_tabs_in_its_last_error(server: RunningServer) -> None:
    r = _post(
        server,
        "/kiosk/heartbeat",
        b'{"app_version": "1", "last_error": "first\\r\\nsecond\\tend", "outbox_backlog": 0}',
    )
    assert r.status_code == 204, r.text
    assert _heartbeat_row(server)["last_error"] == "first\nsecond\tend"


@pytest.mark.parametrize(
    "body,field",
    [
        (b'{"queue": "A", "priority": "yes"}', "priority"),
        (b'{"queue": "A", "priority": 1}', "priority"),
        (b'{"queue": "A", "priority": "true"}', "priority"),
        (
            b'{"queue": "A", "number": {"service_day": "2026-01-01", "seq": "7", "text": "A007"}}',
            "number.seq",
        ),
    ],
)
def test_a_ticket_with_a_value_out_of_kind_is_refused(
    server: RunningServer, body: bytes, field: str
) -> None:
    r = _post(server, "/tickets", body, **{"Idempotency-Key": f"strict-{uuid.uuid4().hex}"})
    _refused(r, field)


@pytest.mark.parametrize("count", [b'"20"', b"20.0", b"true", b"1e400", b"0", b"101"])
def test_a_lease_count_must_be_a_whole_number_in_range(server: RunningServer, count: bytes) -> None:
    r = _post(server, "/kiosk/leases", b'{"queue": "A", "count": ' + count + b"}")
    _refused(r, "count")
    ok = _post(server, "/kiosk/leases", b'{"queue": "A", "count": 20}')
    assert ok.status_code in (200, 201), ok.text


def test_a_nul_in_a_notice_title_is_refused_on_the_api_and_in_the_admin_form(
    server: RunningServer,
) -> None:
    staff = {"Authorization": f"Bearer {staff_token(server, HALL)}"}
    before = kiosk_content(server, HALL)
    content = before["content"]
    notice = dict(content["notices"][0])
    for bad, says in (("通知\x00标题", "U+0000"), ("两行\n标题", "不能换行")):
        changed = {**content, "notices": [{**notice, "title": bad}, *content["notices"][1:]]}
        r = requests.put(
            f"{server.api}/halls/{HALL}/content",
            data=json.dumps(changed, ensure_ascii=True),
            headers={**staff, "Content-Type": "application/json"},
            timeout=TIMEOUT,
        )
        assert r.status_code == 422, r.text[:300]
        assert "notices[0].title" in r.json()["error"]["message"], r.text
        assert says in r.json()["error"]["message"], r.text
    # A lone surrogate is not even text: the JSON reader refuses it (422 all the same).
    changed = {**content, "notices": [{**notice, "title": "\ud800"}]}
    r = requests.put(
        f"{server.api}/halls/{HALL}/content",
        data=json.dumps(changed, ensure_ascii=True),
        headers={**staff, "Content-Type": "application/json"},
        timeout=TIMEOUT,
    )
    assert r.status_code == 422, r.text[:300]
    # A multi-line body keeps its lines; a control character in it is refused.
    changed = {**content, "notices": [{**notice, "body": "第一行\n第二行\x07"}]}
    r = requests.put(
        f"{server.api}/halls/{HALL}/content", json=changed, headers=staff, timeout=TIMEOUT
    )
    assert r.status_code == 422 and "U+0007" in r.text, r.text[:300]
    # The same rule in the admin form, shown beside the title.
    admin = staff_client(server, HALL)
    r = admin.post(
        f"/admin/halls/{HALL}/notices/{notice['id']}",
        {
            "f_title": "通知\x00标题",
            "f_board": notice["board"],
            "f_category": notice["category"],
            "f_body": "正文\r\n第二行",
            "f_publish_from": "2026-12-01T09:00",
        },
    )
    assert r.status_code == 422, r.text[:300]
    shown = re.findall(r'<div class="field[^"]*">(.*?)</div>', r.text, re.S)
    title = [b for b in shown if ">标题</label>" in b]
    assert title and "U+0000" in title[0], title
    # Staff status note through the admin web and the API.
    member = content["staff"][0]["id"]
    r = requests.post(
        f"{server.api}/halls/{HALL}/staff/{member}/status",
        json={"status": "meeting", "status_note": "开会\x00"},
        headers=staff,
        timeout=TIMEOUT,
    )
    _refused(r, "status_note")
    assert kiosk_content(server, HALL)["version"] == before["version"]  # nothing published
