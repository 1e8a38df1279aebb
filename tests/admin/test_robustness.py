"""Bad input never breaks the admin web: every admin route, posted with garbage by the
hall's own staff (valid session and CSRF token), answers with a page — never a 5xx — and
leaves the published content valid."""

from __future__ import annotations

import re

from tests.utils.admin_web import (
    admin_client,
    admin_routes,
    fill,
    kiosk_content,
    leader_client,
    route_values,
    staff_client,
)
from tests.utils.servers import RunningServer

HALL = "huayang"
GARBAGE = [
    {},
    {
        "f_id": "../../etc",
        "f_name": "名" * 5000,
        "f_title": "\x00\ud7ff" * 3,
        "f_copies": "99999999999999999999",
        "f_weekdays": "abc",
        "f_start": "25:99",
        "f_end": "-1:00",
        "f_date": "2026-02-30",
        "f_publish_from": "tomorrow",
        "f_publish_until": "2026-13-45T99:99",
        "f_hours": "8-9 99:00-00:00\n1-5",
        "f_contacts": "a|b",
        "f_category": "nonsense",
        "f_board": "nonsense",
        "f_queue": "ZZ",
        "status": "asleep",
        "until_time": "99:99",
        "until_date": "yesterday",
        "queue": "ZZ",
        "queues": "lower",
        "direction": "sideways",
        "hall_id": "../x",
        "role": "king",
        "username": "",
        "password": "x",
    },
]


def test_garbage_never_gives_a_server_error(admin_server: RunningServer) -> None:
    staff = staff_client(admin_server, HALL)
    leader = leader_client(admin_server, HALL)
    admin = admin_client(admin_server)
    ctx = route_values(admin_server, HALL)
    # Accounts and kiosks get their own throwaway rows: garbage may disable or revoke them.
    form = {
        "username": "robust-user",
        "display_name": "测试",
        "role": "hall_staff",
        "hall_id": HALL,
        "password": "long-enough-password",
    }
    assert admin.post("/admin/accounts/new", form).status_code == 303
    page = admin.get("/admin/accounts").text
    ctx["account_id"] = max(int(i) for i in re.findall(r"/admin/accounts/(\d+)/disable", page))
    made = admin.post("/admin/kiosks/new", {"hall_id": HALL, "name": "robust"}).text
    ctx["device_id"] = max(int(i) for i in re.findall(r"/admin/kiosks/(\d+)/revoke", made))
    odd = {**ctx, "index": "99999", "version": "0"}
    for method, template in admin_routes():
        if template in ("/admin/login", "/admin/logout", "/admin/logout-everywhere"):
            continue
        hall_side = leader  # a leader reaches every hall page a staff member does, and more
        client = admin if template.startswith(("/admin/accounts", "/admin/kiosks")) else hall_side
        for params in (ctx, odd):
            path = fill(template, params)
            if method == "GET":
                r = client.get(path + "?from=garbage&to=2026-99-01&hall=../x")
                assert r.status_code < 500, (path, r.status_code)
                continue
            for body in GARBAGE:
                r = client.post(path, body)
                assert r.status_code < 500, (path, body.keys(), r.status_code, r.text[:300])
    # Unknown ids and numbers in the path are refused as pages, not errors.
    for path in (
        f"/admin/halls/{HALL}/services/no-such-service",
        f"/admin/halls/{HALL}/versions/999999",
        f"/admin/halls/{HALL}/media/{'0' * 64}",
        "/admin/counters/999999",
        "/admin/halls/no-such-hall",
    ):
        r = staff.get(path)
        assert r.status_code in (403, 404), (path, r.status_code)
        assert "<h1>" in r.text
    r = staff.get("/admin/counters/not-a-number")
    assert r.status_code == 422
    # Whatever was accepted, the hall's content is still valid and served.
    content = kiosk_content(admin_server, HALL)["content"]
    assert content["hall"]["id"] == HALL
    staff.post(f"/admin/halls/{HALL}/discard")
    assert re.search(r"<h1>[^<]+</h1>", staff.get(f"/admin/halls/{HALL}").text)
