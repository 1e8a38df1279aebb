"""Security of the admin web beyond route access: markup typed into any text field comes
back escaped everywhere; photo uploads are checked; failed logins are slowed and then
locked (per username and per client address, in the database); session cookies are
HttpOnly and SameSite, stored hashed, expire, and end at logout."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from PIL import Image

from kiosk.core import clock
from tests.utils.admin_web import (
    AdminClient,
    admin_client,
    admin_routes,
    counters_of,
    db,
    fill,
    issue_ticket,
    kiosk_content,
    route_values,
    staff_client,
)
from tests.utils.servers import RunningServer, start_server

XSS = '<script>alert("x")</script>'
ESCAPED = "&lt;script&gt;"


def _days(days: list[int]) -> str:
    return ",".join(str(d) for d in days)


def hall_form(hall: dict[str, Any]) -> dict[str, str]:
    """The hall-info form as the page would post it, from the published hall."""
    return {
        "f_name": hall["name"],
        "f_short_name": hall["short_name"],
        "f_street": hall["street"],
        "f_address": hall["address"],
        "f_phone": hall["phone"],
        "f_opening_hours": "\n".join(
            f"{_days(h['weekdays'])} {h['open']}-{h['close']}" for h in hall["opening_hours"]
        ),
        "f_intro": hall.get("intro", ""),
        "f_brand__title": hall["brand"]["title"],
        "f_brand__text": hall["brand"].get("text", ""),
        "f_contacts": "\n".join(
            f"{c['kind']} | {c['label']} | {c['url']}" for c in hall.get("contacts", [])
        ),
    }


def _ok(r: requests.Response) -> None:
    assert r.status_code == 303, (r.status_code, r.text[:2000])


def test_markup_in_every_text_field_is_escaped_everywhere(admin_server: RunningServer) -> None:
    hall_id = "jiefang-donglu"
    staff = staff_client(admin_server, hall_id)
    hall = kiosk_content(admin_server, hall_id)["content"]["hall"]
    queue = counters_of(admin_server, hall_id)[0]["queues"][0]
    base = f"/admin/halls/{hall_id}"

    form = hall_form(hall)
    for key in ("f_name", "f_short_name", "f_street", "f_address", "f_intro", "f_brand__title"):
        form[key] = f"{form[key]}{XSS}"
    form["f_brand__text"] = XSS
    form["f_contacts"] = f"wechat | 公众号{XSS} | https://example.test/qr"
    _ok(staff.post(f"{base}/info", form))
    _ok(
        staff.post(
            f"{base}/services/new",
            {
                "f_id": "xss-service",
                "f_name": f"服务{XSS}",
                "f_category": "assistance",
                "f_summary": XSS,
                "f_eligibility": f"{XSS}\n第二条",
                "f_where": f"窗口{XSS}",
                "f_queue": queue,
                "f__step_title": f"步骤{XSS}",
                "f__step_actor": f"居民{XSS}",
            },
        )
    )
    _ok(
        staff.post(
            f"{base}/services/xss-service/materials/new",
            {"f_name": f"材料{XSS}", "f_copies": "1", "f_note": XSS},
        )
    )
    _ok(
        staff.post(
            f"{base}/services/xss-service/steps/new",
            {"f_title": f"第二步{XSS}", "f_actor": XSS, "f_detail": XSS, "f_duration": XSS[:30]},
        )
    )
    _ok(
        staff.post(
            f"{base}/staff/new",
            {"f_id": "xss-person", "f_name": f"人{XSS}", "f_post": XSS, "f_duties": XSS},
        )
    )
    _ok(
        staff.post(
            f"{base}/rooms/new",
            {
                "f_id": "xss-room",
                "f_name": f"室{XSS}",
                "f_location": XSS,
                "f_hours": "1-7 08:00-20:00",
                "f_description": XSS,
            },
        )
    )
    _ok(
        staff.post(
            f"{base}/rooms/xss-room/activities/new",
            [
                *[("f_weekdays", str(d)) for d in range(1, 8)],
                ("f_title", f"活动{XSS}"),
                ("f_start", "00:00"),
                ("f_end", "23:59"),
                ("f_leader", XSS[:50]),
                ("f_note", XSS),
            ],
        )
    )
    today = clock.now().astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    _ok(
        staff.post(
            f"{base}/rooms/xss-room/events/new",
            {
                "f_title": f"单次{XSS}",
                "f_date": today.isoformat(),
                "f_start": "00:00",
                "f_end": "23:59",
                "f_note": XSS,
            },
        )
    )
    start = (clock.now() - dt.timedelta(hours=2)).astimezone(dt.timezone(dt.timedelta(hours=8)))
    _ok(
        staff.post(
            f"{base}/notices/new",
            {
                "f_id": "xss-notice",
                "f_title": f"公告{XSS}",
                "f_board": "publicity",
                "f_category": XSS,
                "f_body": XSS,
                "f_publish_from": start.strftime("%Y-%m-%dT%H:%M"),
                "f_pinned": "1",
            },
        )
    )
    _ok(staff.post(f"{base}/publish"))
    _ok(staff.post(f"{base}/staff/xss-person/status", {"status": "visiting", "note": XSS}))

    content = kiosk_content(admin_server, hall_id)["content"]
    # The JSON API carries the text as data, unchanged.
    assert content["hall"]["brand"]["text"] == XSS
    ticket = issue_ticket(admin_server, hall_id, queue, service_id="xss-service")
    counter = counters_of(admin_server, hall_id)[0]

    ids = {"services": "xss-service", "staff": "xss-person", "rooms": "xss-room"}
    ids["notices"] = "xss-notice"
    ctx = route_values(admin_server, hall_id)
    ctx["items"] = ids
    pages = []
    for method, template in admin_routes():
        if method != "GET" or not template.startswith("/admin/halls/{hall_id}"):
            continue
        if "{sha256}" in template:
            continue
        pages.append(fill(template, ctx))
    latest = kiosk_content(admin_server, hall_id)["version"]
    pages += [
        f"{base}/versions/{latest}",
        "/admin/counters",
        f"/admin/counters/{counter['id']}",
        "/admin/fleet",
        "/admin/stats",
    ]
    seen_escaped = 0
    for path in pages:
        r = staff.get(path)
        assert r.status_code == 200, (path, r.status_code)
        assert "<script>alert" not in r.text, path
        seen_escaped += ESCAPED in r.text
    assert seen_escaped >= 12
    admin = admin_client(admin_server)
    _ok(
        admin.post(
            "/admin/accounts/new",
            {
                "username": "xss-user",
                "display_name": f"名{XSS}",
                "role": "hall_staff",
                "hall_id": hall_id,
                "password": "long-enough-password",
            },
        )
    )
    assert admin.post("/admin/kiosks/new", {"hall_id": hall_id, "name": XSS}).status_code == 200
    for path in (
        "/admin/halls",
        "/admin/audit",
        "/admin/kiosks",
        "/admin/accounts",
        "/admin/fleet",
    ):
        r = admin.get(path)
        assert r.status_code == 200 and "<script>alert" not in r.text, path
    csp = staff.get(f"{base}/preview").headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    phone = requests.get(f"{admin_server.base_url}/t/{ticket['id']}", timeout=30)
    assert phone.status_code == 200
    assert "<script>alert" not in phone.text
    assert ESCAPED in phone.text


def _png(width: int, height: int, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height)).save(out, "PNG")
    return out.getvalue()


def _upload(client: AdminClient, path: str, name: str, data: bytes, mime: str) -> str:
    r = client.post(path, files={"photo": (name, data, mime)})
    return client.flash(r)


def test_photo_uploads_are_checked_and_cleaned(admin_server: RunningServer) -> None:
    hall_id = "sanjian-pingan-yuan"
    staff = staff_client(admin_server, hall_id)
    person = kiosk_content(admin_server, hall_id)["content"]["staff"][0]
    path = f"/admin/halls/{hall_id}/staff/{person['id']}/photo"
    before = staff.get(f"/admin/halls/{hall_id}/staff/{person['id']}").text

    message = _upload(staff, path, "photo.png", b"this is not an image at all" * 10, "image/png")
    assert "这不是可以识别的图片文件" in message
    message = _upload(staff, path, "big.jpg", b"\xff\xd8\xff" + b"0" * 3_200_000, "image/jpeg")
    assert "照片太大" in message
    bomb = _png(12_000, 12_000, "1")  # 144 megapixels in a few kilobytes
    assert len(bomb) < 200_000
    message = _upload(staff, path, "bomb.png", bomb, "image/png")
    assert "图片尺寸过大" in message
    assert staff.get(f"/admin/halls/{hall_id}/staff/{person['id']}").text == before

    photo = Image.new("RGB", (2400, 1600), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {1: "N", 2: (36.0, 40.0, 1.0)}  # GPS
    raw = io.BytesIO()
    photo.save(raw, "JPEG", exif=exif, comment=b"private comment")
    assert b"SecretCam" in raw.getvalue()
    message = _upload(staff, path, "me.jpg", raw.getvalue(), "image/jpeg")
    assert "照片已更新" in message
    page = staff.get(f"/admin/halls/{hall_id}/staff/{person['id']}").text
    digest = re.search(rf"/admin/halls/{hall_id}/media/([0-9a-f]{{64}})", page).group(1)
    stored = staff.get(f"/admin/halls/{hall_id}/media/{digest}")
    assert stored.status_code == 200
    assert b"SecretCam" not in stored.content and b"private comment" not in stored.content
    cleaned = Image.open(io.BytesIO(stored.content))
    assert cleaned.format == "JPEG"
    assert max(cleaned.size) <= 1200
    assert not cleaned.getexif()
    # Published, the kiosk can fetch it by its hash.
    _ok(staff.post(f"/admin/halls/{hall_id}/publish"))
    content = kiosk_content(admin_server, hall_id)["content"]
    assert next(s for s in content["staff"] if s["id"] == person["id"])["photo"] == digest
    token = admin_server.credentials["kiosks"][hall_id]["token"]
    media = requests.get(
        f"{admin_server.api}/media/{digest}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert media.status_code == 200 and media.content == stored.content


@pytest.fixture(scope="module")
def lock_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server of its own: these tests slow accounts and addresses on purpose."""
    running = start_server(
        tmp_path_factory.mktemp("admin-lock"),
        extra_env={
            "KIOSK_SERVER_PUBLIC_BASE_URL": "https://hall.example.test",
            # The tests speak as different client addresses through X-Forwarded-For.
            "KIOSK_SERVER_TRUSTED_PROXIES": '["127.0.0.1"]',
        },
    )
    yield running
    running.stop()


def _try_login(server: RunningServer, username: str, password: str, ip: str) -> requests.Response:
    client = AdminClient(server, headers={"X-Forwarded-For": ip})
    return client.login(username, password)


def test_failed_logins_are_slowed_not_locked(lock_server: RunningServer) -> None:
    from kiosk.server.admin.sessions import SLOW_AFTER

    login = lock_server.credentials["staff"]["huayang"]
    user, good = login["username"], login["password"]
    ip = "10.20.30.40"
    for _ in range(SLOW_AFTER):
        r = _try_login(lock_server, user, "wrong-password", ip)
        assert r.status_code == 401 and "用户名或密码不正确" in r.text
    # Slowed: even the right password must wait now, from this address.
    r = _try_login(lock_server, user, good, ip)
    assert r.status_code == 429, r.status_code
    assert "秒后再试" in r.text and int(r.headers["Retry-After"]) >= 1
    # Never locked: the owner from another address logs in at once.
    r = _try_login(lock_server, user, good, "10.99.99.99")
    assert r.status_code == 303
    with db(lock_server) as conn:
        row = conn.execute(
            "SELECT attempts FROM login_backoff WHERE key = ?", (f"pair:{user}|{ip}",)
        ).fetchone()
    assert row["attempts"] == SLOW_AFTER


def test_one_address_trying_many_names_is_slowed(lock_server: RunningServer) -> None:
    from kiosk.server.login_throttle import RULES

    ip = "10.50.60.70"
    for i in range(RULES["ip"].free):
        r = _try_login(lock_server, f"guess-{i}", "wrong-password", ip)
        assert r.status_code == 401
    login = lock_server.credentials["staff"]["youyi-yuan"]
    r = _try_login(lock_server, login["username"], login["password"], ip)
    assert r.status_code == 429 and "后再试" in r.text
    # The account itself is fine from elsewhere.
    r = _try_login(lock_server, login["username"], login["password"], "10.1.1.1")
    assert r.status_code == 303


def test_session_cookie_flags_storage_expiry_and_logout(lock_server: RunningServer) -> None:
    login = lock_server.credentials["staff"]["mingshi-haoting"]
    client = AdminClient(lock_server, headers={"X-Forwarded-For": "10.3.3.3"})
    r = client.login(login["username"], login["password"])
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "kiosk_admin=" in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert "Secure" in cookie  # the public address is https
    value = client.http.cookies.get("kiosk_admin")
    assert value
    with db(lock_server) as conn:
        rows = [tuple(r) for r in conn.execute("SELECT * FROM admin_sessions")]
    assert rows and not any(value in str(row) for row in rows)

    # A second session, expired in the database, is sent back to the login page.
    other = AdminClient(lock_server, headers={"X-Forwarded-For": "10.3.3.4"})
    assert other.login(login["username"], login["password"]).status_code == 303
    assert other.get("/admin/fleet", allow_redirects=False).status_code == 200
    with db(lock_server) as conn:
        conn.execute(
            "UPDATE admin_sessions SET expires_at = ? WHERE client_ip = ?",
            ((clock.now() - dt.timedelta(minutes=1)).isoformat(), "10.3.3.4"),
        )
    r = other.get("/admin/fleet", allow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/login")

    # Logout ends the session on the server, not just in the browser.
    assert client.get("/admin/fleet", allow_redirects=False).status_code == 200
    _ok(client.post("/admin/logout"))
    replay = requests.get(
        f"{lock_server.base_url}/admin/fleet",
        cookies={"kiosk_admin": value},
        allow_redirects=False,
        timeout=30,
    )
    assert replay.status_code == 303
