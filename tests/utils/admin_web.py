"""The admin web tests' plain helpers: a logged-in browser-like client (CSRF handled), the
demo hall's content and counters, a ticket issued as a kiosk, every admin route with
values to fill it (fixtures: tests/admin/conftest.py).
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from typing import Any

import requests

from tests.utils.servers import RunningServer

TIMEOUT = 30


_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class AdminClient:
    """A browser-like session of one staff member (cookies, CSRF token from the pages)."""

    def __init__(self, server: RunningServer, headers: dict[str, str] | None = None) -> None:
        self.server = server
        self.base = server.base_url
        self.http = requests.Session()
        if headers:
            self.http.headers.update(headers)
        self.csrf = ""

    def _plain_http(self) -> None:
        """Send Secure cookies over our plain-http loopback too (the server marks them
        Secure when its public address is https, as behind a TLS proxy)."""
        for cookie in self.http.cookies:
            cookie.secure = False

    def login(self, username: str, password: str) -> requests.Response:
        page = self.get("/admin/login")
        token = _CSRF.search(page.text)
        self._plain_http()
        r = self.http.post(
            f"{self.base}/admin/login",
            data={
                "username": username,
                "password": password,
                "csrf": token.group(1) if token else "",
                "next": "/admin",
            },
            timeout=TIMEOUT,
            allow_redirects=False,
        )
        if r.status_code == 303:
            self.refresh_csrf()
        return r

    def refresh_csrf(self) -> None:
        found = _CSRF.search(self.get("/admin/fleet").text)
        assert found, "no CSRF token on an admin page"
        self.csrf = found.group(1)

    def get(self, path: str, **kw: Any) -> requests.Response:
        kw.setdefault("timeout", TIMEOUT)
        self._plain_http()
        return self.http.get(self.base + path, **kw)

    def post(
        self, path: str, data: Any = None, *, csrf: str | None = None, **kw: Any
    ) -> requests.Response:
        kw.setdefault("timeout", TIMEOUT)
        kw.setdefault("allow_redirects", False)
        body = dict(data or {}) if not isinstance(data, list) else list(data)
        token = self.csrf if csrf is None else csrf
        if token != "-":
            if isinstance(body, list):
                body.append(("csrf", token))
            else:
                body["csrf"] = token
        self._plain_http()
        return self.http.post(self.base + path, data=body, **kw)

    def flash(self, response: requests.Response) -> str:
        """Follow a 303 and return the flash message shown on the next page."""
        assert response.status_code == 303, (response.status_code, response.text[:500])
        page = self.get(response.headers["location"])
        found = re.search(r'<div class="flash" role="status">(.*?)</div>', page.text, re.S)
        return found.group(1).strip() if found else ""


def staff_client(server: RunningServer, hall_id: str) -> AdminClient:
    login = server.credentials["staff"][hall_id]
    client = AdminClient(server)
    r = client.login(login["username"], login["password"])
    assert r.status_code == 303, r.text[:500]
    return client


def leader_client(server: RunningServer, hall_id: str) -> AdminClient:
    """The hall's leader (负责人), from the demo logins."""
    login = server.credentials["leaders"][hall_id]
    client = AdminClient(server)
    r = client.login(login["username"], login["password"])
    assert r.status_code == 303, r.text[:500]
    return client


def admin_client(server: RunningServer) -> AdminClient:
    login = server.credentials["admin"]
    client = AdminClient(server)
    r = client.login(login["username"], login["password"])
    assert r.status_code == 303, r.text[:500]
    return client


def kiosk_content(server: RunningServer, hall_id: str) -> dict[str, Any]:
    token = server.credentials["kiosks"][hall_id]["token"]
    r = requests.get(
        f"{server.api}/kiosk/content",
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    )
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def issue_ticket(server: RunningServer, hall_id: str, queue: str, **body: Any) -> dict[str, Any]:
    token = server.credentials["kiosks"][hall_id]["token"]
    r = requests.post(
        f"{server.api}/tickets",
        json={"queue": queue, **body},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
        timeout=TIMEOUT,
    )
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


def db(server: RunningServer) -> sqlite3.Connection:
    """The server's SQLite file, for checks a person could not make through the pages."""
    conn = sqlite3.connect(server.data_dir / "kiosk.sqlite3", timeout=30)
    conn.row_factory = sqlite3.Row
    return conn


def counters_of(server: RunningServer, hall_id: str) -> list[dict[str, Any]]:
    with db(server) as conn:
        rows = conn.execute(
            "SELECT id, window, queues FROM counters WHERE hall_id = ? ORDER BY window",
            (hall_id,),
        ).fetchall()
    return [
        {"id": r["id"], "window": r["window"], "queues": json.loads(r["queues"])}
        for r in rows
        if json.loads(r["queues"])
    ]


def admin_routes() -> list[tuple[str, str]]:
    """(method, path template) of every /admin route of the real app."""
    from kiosk.server.app import create_app
    from kiosk.server.settings import build_settings

    app = create_app(build_settings(demo_mode=True, data_dir="/nonexistent-admin-routes"))
    try:
        from fastapi.routing import iter_route_contexts

        routes: list[Any] = list(iter_route_contexts(app.routes))
    except ImportError:  # older FastAPI: routes are flat
        routes = list(app.routes)
    out = set()
    for route in routes:
        methods = getattr(route, "methods", None)
        path = getattr(route, "path", "")
        if not methods or not path.startswith("/admin"):
            continue
        for method in methods:
            if method != "HEAD":
                out.add((method, path))
    return sorted(out)


def a_household(server: RunningServer, hall_id: str) -> str:
    """The id of a household of ``hall_id`` still on the register (one is registered if
    there is none), the hall's register opened to the district so its admin sees it too."""
    with db(server) as conn:
        row = conn.execute(
            "SELECT id FROM households WHERE hall_id = ? AND archived_at IS NULL ORDER BY id",
            (hall_id,),
        ).fetchone()
    staff = staff_client(server, hall_id)
    # Opening the register to the district is the hall leader's switch.
    leader_client(server, hall_id).post(
        f"/admin/halls/{hall_id}/households-access", {"district_may_view": "1"}
    )
    if row is not None:
        return str(row["id"])
    address = f"{len(hall_id)}-1-{100 + sum(map(ord, hall_id)) % 900}"
    r = staff.post(
        f"/admin/halls/{hall_id}/households-new",
        {"address": address, "tag": "空巢", "m0_name": "测试住户", "m0_phone": "13800001234"},
    )
    assert r.status_code == 303, r.text[:500]
    return r.headers["location"].rstrip("/").rsplit("/", 1)[-1]


def a_request_photo(server: RunningServer, hall_id: str, request_id: str) -> str:
    """The id of a photo of the request (one is attached by the hall's staff if none)."""
    import io

    from PIL import Image

    with db(server) as conn:
        row = conn.execute(
            "SELECT id FROM request_media WHERE request_id = ? AND kind = 'photo' ORDER BY id",
            (request_id,),
        ).fetchone()
    if row is not None:
        return str(row["id"])
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (90, 120, 160)).save(out, "PNG")
    r = staff_client(server, hall_id).post(
        f"/admin/requests/{request_id}/photos",
        files=[("photos", ("p.png", out.getvalue(), "image/png"))],
    )
    assert r.status_code == 303, r.text[:500]
    with db(server) as conn:
        row = conn.execute(
            "SELECT id FROM request_media WHERE request_id = ? AND kind = 'photo' ORDER BY id",
            (request_id,),
        ).fetchone()
    return str(row["id"])


def route_values(server: RunningServer, hall_id: str) -> dict[str, Any]:
    """Values for every path parameter of the admin routes, naming ``hall_id``'s things."""
    content = kiosk_content(server, hall_id)["content"]
    with db(server) as conn:
        account = conn.execute(
            "SELECT id FROM staff_accounts WHERE hall_id = ? ORDER BY id", (hall_id,)
        ).fetchone()
    photo = next(s["photo"] for s in content["staff"] if s.get("photo"))
    request_id, entry_id = _a_request_and_diary_entry(server, hall_id)
    return {
        "visit_id": "1",
        "alert_id": "1",
        "request_id": request_id,
        "photo_id": a_request_photo(server, hall_id, request_id),
        "entry_id": str(entry_id),
        "hall_id": hall_id,
        "counter_id": str(counters_of(server, hall_id)[0]["id"]),
        "index": "0",
        "version": "1",
        "sha256": photo,
        "account_id": str(account["id"]),
        "device_id": str(server.credentials["kiosks"][hall_id]["device_id"]),
        "action": "recall",
        "household_id": a_household(server, hall_id),
        "day": "2031-05-01",
        "items": {key: content[key][0]["id"] for key in ("services", "staff", "rooms", "notices")},
    }


def wav_bytes(seconds: float = 1.0) -> bytes:
    """A mono 16-bit 8 kHz WAV: what a kiosk's recorder uploads."""
    import io
    import wave

    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x01" * int(8000 * seconds))
    return out.getvalue()


def kiosk_request(server: RunningServer, hall_id: str, *, voice: bool = False, **body: Any) -> str:
    """A request registered at the hall's kiosk (and its voice note uploaded); its id."""
    from kiosk.core import clock
    from kiosk.core.request_numbers import new_public_id, new_query_code

    token = server.credentials["kiosks"][hall_id]["token"]
    auth = {"Authorization": f"Bearer {token}"}
    payload = {
        "public_id": new_public_id(),
        "query_code": new_query_code(),
        "category": "repair",
        "phrases": ["水管漏水"],
        "voice_note": voice,
        "created_at": clock.now().isoformat(),
        **body,
    }
    r = requests.post(
        f"{server.api}/requests",
        json=payload,
        headers={**auth, "Idempotency-Key": f"req-{uuid.uuid4().hex}"},
        timeout=TIMEOUT,
    )
    assert r.status_code == 201, r.text
    request_id = str(r.json()["id"])
    if voice:
        r = requests.put(
            f"{server.api}/requests/{request_id}/voice-note",
            data=wav_bytes(),
            headers={**auth, "Content-Type": "audio/wav"},
            timeout=TIMEOUT,
        )
        assert r.status_code == 204, r.text
    return request_id


def _a_request_and_diary_entry(server: RunningServer, hall_id: str) -> tuple[str, int]:
    """A request of the hall with a voice note (so its download route answers too) and a
    diary entry of its staff member, made once when the hall has none yet."""
    with db(server) as conn:
        request = conn.execute(
            "SELECT id FROM service_requests WHERE hall_id = ? AND voice_note = 1"
            " ORDER BY created_at",
            (hall_id,),
        ).fetchone()
        entry = conn.execute(
            "SELECT id FROM diary_entries WHERE hall_id = ? ORDER BY id", (hall_id,)
        ).fetchone()
    if request is not None and entry is not None:
        return str(request["id"]), int(entry["id"])
    kiosk_request(server, hall_id, description="路由测试用的诉求", voice=True)
    staff_client(server, hall_id).post("/admin/diary", {"text": "路由测试用的日记"})
    return _a_request_and_diary_entry(server, hall_id)


def fill(path: str, ctx: dict[str, Any]) -> str:
    """A route's path template with its parameters filled from :func:`route_values`."""

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "item_id":
            segment = path[: match.start()].rstrip("/").rsplit("/", 1)[-1]
            return str(ctx["items"][segment])
        return str(ctx[name])

    return re.sub(r"\{(\w+)\}", one, path)
