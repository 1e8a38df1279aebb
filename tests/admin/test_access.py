"""Who may use which admin route: hall A's staff can neither read nor change hall B on
any admin route; a kiosk token opens no admin or counter route; every POST without the
session's CSRF token is refused. The routes are enumerated from the app itself."""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from tests.utils.admin_web import (
    AdminClient,
    admin_client,
    admin_routes,
    counters_of,
    db,
    fill,
    kiosk_content,
    leader_client,
    route_values,
)
from tests.utils.servers import RunningServer

HALL_A = "huayang"
HALL_B = "xiandai-yicheng"
ADMIN_ONLY = (
    "/admin/accounts",
    "/admin/kiosks",
    "/admin/audit",
    "/admin/visits/district",
    "/admin/calendar/",
)


def _state(server: RunningServer, hall_id: str) -> tuple[Any, ...]:
    with db(server) as conn:
        return (
            conn.execute("SELECT current_version FROM halls WHERE id = ?", (hall_id,)).fetchone()[
                0
            ],
            conn.execute(
                "SELECT count(*) FROM admin_drafts WHERE hall_id = ?", (hall_id,)
            ).fetchone()[0],
            tuple(
                tuple(r)
                for r in conn.execute(
                    "SELECT id, state, queue FROM tickets WHERE hall_id = ? ORDER BY id", (hall_id,)
                )
            ),
            tuple(
                tuple(r)
                for r in conn.execute(
                    "SELECT id, current_ticket_id FROM counters WHERE hall_id = ?", (hall_id,)
                )
            ),
            tuple(
                tuple(r)
                for r in conn.execute(
                    "SELECT id, revoked_at FROM kiosk_devices WHERE hall_id = ?", (hall_id,)
                )
            ),
            tuple(
                tuple(r)
                for r in conn.execute(
                    "SELECT id, disabled, password_hash FROM staff_accounts WHERE hall_id = ?",
                    (hall_id,),
                )
            ),
        )


def _hall_bound(path: str) -> bool:
    return "{hall_id}" in path or "{counter_id}" in path or "{request_id}" in path


def test_routes_are_enumerated() -> None:
    routes = admin_routes()
    paths = {p for _, p in routes}
    # A sanity floor: the editor, console and admin pages are all there.
    assert len(routes) > 60
    assert "/admin/halls/{hall_id}/staff/{item_id}/status" in paths
    assert "/admin/counters/{counter_id}/call-next" in paths


def test_hall_staff_cannot_read_or_change_another_hall(admin_server: RunningServer) -> None:
    from tests.utils.admin_web import issue_ticket

    queue = counters_of(admin_server, HALL_B)[0]["queues"][0]
    issue_ticket(admin_server, HALL_B, queue)
    ctx_b = route_values(admin_server, HALL_B)
    names_b = [kiosk_content(admin_server, HALL_B)["content"]["hall"]["name"], HALL_B]
    name_a = kiosk_content(admin_server, HALL_A)["content"]["hall"]["name"]
    assert all(n not in name_a and n not in HALL_A for n in names_b)
    # The hall's own leader opens every page of the hall (a staff member's and the leader's);
    # another hall's leader (a plain staff member's powers and more) opens none of them.
    owner = leader_client(admin_server, HALL_B)
    intruder = leader_client(admin_server, HALL_A)
    before = _state(admin_server, HALL_B)
    checked = 0
    for method, template in admin_routes():
        if template in ("/admin/login", "/admin/logout", "/admin/logout-everywhere"):
            continue
        path = fill(template, ctx_b)
        if method == "GET":
            r = intruder.get(path, allow_redirects=False)
        else:
            r = intruder.post(path, {"status": "leave", "queue": "A", "direction": "up"})
        if _hall_bound(template) or template.startswith(ADMIN_ONLY):
            assert r.status_code == 403, (method, path, r.status_code, r.text[:300])
            assert "权限" in r.text or "管理员" in r.text, (method, path)
        else:
            assert r.status_code in (200, 303), (method, path, r.status_code)
            for name in names_b:
                assert name not in r.text, (method, path, name)
        if method == "GET" and _hall_bound(template):
            # The same address works for the hall's own staff: the 403 is about the hall.
            mine = owner.get(path, allow_redirects=False)
            assert mine.status_code == 200, (path, mine.status_code, mine.text[:300])
        checked += 1
    r = intruder.get(f"/admin/stats?hall={HALL_B}")
    assert r.status_code == 403
    r = intruder.get(f"/admin/stats.csv?hall={HALL_B}")
    assert r.status_code == 403
    assert _state(admin_server, HALL_B) == before
    assert checked > 60


def test_kiosk_token_opens_no_admin_or_counter_route(admin_server: RunningServer) -> None:
    token = admin_server.credentials["kiosks"][HALL_A]["token"]
    kiosk = AdminClient(admin_server, headers={"Authorization": f"Bearer {token}"})
    ctx = route_values(admin_server, HALL_A)
    before = _state(admin_server, HALL_A)
    for method, template in admin_routes():
        path = fill(template, ctx)
        if method == "GET":
            r = kiosk.get(path, allow_redirects=False)
            if template == "/admin/login":
                assert r.status_code == 200
                continue
            assert r.status_code == 303, (path, r.status_code)
            assert r.headers["location"].startswith("/admin/login"), path
        else:
            r = kiosk.post(path, {"username": "x", "password": "y"}, csrf="-")
            assert r.status_code in (401, 403), (path, r.status_code)
    counter = ctx["counter_id"]
    api = admin_server.api
    for method, path in [
        ("GET", "/counters"),
        ("POST", f"/counters/{counter}/call-next"),
        ("POST", f"/counters/{counter}/recall"),
        ("POST", f"/counters/{counter}/start"),
        ("POST", f"/counters/{counter}/no-show"),
        ("POST", f"/counters/{counter}/complete"),
        ("POST", f"/counters/{counter}/transfer"),
    ]:
        r = requests.request(
            method,
            api + path,
            json={"queue": "A"} if path.endswith("transfer") else None,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert r.status_code == 403, (path, r.status_code, r.text)
    assert _state(admin_server, HALL_A) == before


@pytest.mark.parametrize("csrf", ["-", "wrong-token-0123456789"])
def test_post_without_the_csrf_token_is_refused(admin_server: RunningServer, csrf: str) -> None:
    staff = leader_client(admin_server, HALL_A)  # past the leader's gates to the CSRF check
    admin = admin_client(admin_server)
    ctx = route_values(admin_server, HALL_A)
    before = _state(admin_server, HALL_A)
    for method, template in admin_routes():
        if method != "POST" or template == "/admin/login":
            continue
        client = admin if template.startswith(ADMIN_ONLY) else staff
        path = fill(template, ctx)
        r = client.post(
            path,
            {"status": "leave", "queue": "A", "direction": "up", "f_title": "x"},
            csrf=csrf,
        )
        assert r.status_code == 403, (path, r.status_code, r.text[:300])
        assert "安全校验失败" in r.text, path
    assert _state(admin_server, HALL_A) == before
    # Still logged in: logout without the token was refused too.
    assert staff.get(f"/admin/halls/{HALL_A}").status_code == 200


def test_login_form_needs_its_csrf_token(admin_server: RunningServer) -> None:
    login = admin_server.credentials["staff"][HALL_A]
    r = requests.post(
        f"{admin_server.base_url}/admin/login",
        data={"username": login["username"], "password": login["password"]},
        allow_redirects=False,
        timeout=30,
    )
    assert r.status_code == 403
    assert "安全校验失败" in r.text
    assert "kiosk_admin=" not in r.headers.get("set-cookie", "")


def test_every_form_on_every_page_carries_the_csrf_token(admin_server: RunningServer) -> None:
    staff = leader_client(admin_server, HALL_A)  # the hall's pages, the leader's ones too
    admin = admin_client(admin_server)
    ctx = route_values(admin_server, HALL_A)
    forms = 0
    for method, template in admin_routes():
        if (
            method != "GET"
            or template.endswith((".csv", "/live", "/login"))
            or "{sha256}" in template
        ):
            continue
        client = admin if template.startswith(ADMIN_ONLY) else staff
        page = client.get(fill(template, ctx))
        assert page.status_code == 200, (template, page.status_code)
        for form in re.findall(r'<form[^>]*method="post"[^>]*>(.*?)</form>', page.text, re.S):
            token = re.search(r'name="csrf" value="([^"]*)"', form)
            assert token and token.group(1) == client.csrf, (template, form[:200])
            forms += 1
    assert forms > 50
