"""Staff tokens and admin sessions end for good — on a new password, a disable and a
logout-everywhere — in every worker at once; a revoked kiosk token stops within the
delay the fleet page states. Real two-worker server, SQLite and PostgreSQL."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
import requests
import sqlalchemy as sa

from kiosk.server import models as m
from kiosk.server.models import known_devices
from tests.security.auth_support import (
    BACKENDS,
    PASSWORD,
    TIMEOUT,
    TRUST_LOOPBACK,
    assert_error,
    database,
    new_kiosk,
    new_staff,
    serve,
    token_login,
)
from tests.utils.servers import RunningServer

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
#: Enough requests that both workers answer some of them.
TRIES = 12


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    yield from serve(request, tmp_path_factory.mktemp("tokens"), TRUST_LOOPBACK)


class Browser:
    def __init__(self, server: RunningServer, ip: str = "198.51.100.40") -> None:
        self.server = server
        self.http = requests.Session()
        self.http.headers["X-Forwarded-For"] = ip
        self.csrf = ""

    def login(self, username: str, password: str) -> None:
        page = self.http.get(f"{self.server.base_url}/admin/login", timeout=TIMEOUT)
        found = _CSRF.search(page.text)
        assert found
        r = self.http.post(
            f"{self.server.base_url}/admin/login",
            data={"username": username, "password": password, "csrf": found.group(1)},
            timeout=TIMEOUT,
            allow_redirects=False,
        )
        assert r.status_code == 303, r.text
        self.csrf = self._csrf()

    def _csrf(self) -> str:
        found = _CSRF.search(self.get("/admin/fleet").text)
        assert found
        return found.group(1)

    def get(self, path: str) -> requests.Response:
        return self.http.get(
            f"{self.server.base_url}{path}", timeout=TIMEOUT, allow_redirects=False
        )

    def post(self, path: str, **data: str) -> requests.Response:
        return self.http.post(
            f"{self.server.base_url}{path}",
            data={**data, "csrf": self.csrf},
            timeout=TIMEOUT,
            allow_redirects=False,
        )

    def logged_in(self) -> bool:
        r = self.get("/admin/fleet")
        if r.status_code == 200:
            return True
        assert r.status_code in (302, 303, 307) and "/admin/login" in r.headers["location"]
        return False


def _token(server: RunningServer, user: str, password: str = PASSWORD) -> str:
    r = token_login(server, user, password, "198.51.100.41")
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def _works(server: RunningServer, token: str) -> list[int]:
    """The status of GET /halls with ``token``, asked of both workers."""
    return [
        requests.get(
            f"{server.api}/halls", headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
        ).status_code
        for _ in range(TRIES)
    ]


def _admin(server: RunningServer) -> Browser:
    login = server.credentials["admin"]
    browser = Browser(server, "198.51.100.42")
    browser.login(login["username"], login["password"])
    return browser


def _account_id(server: RunningServer, user: str) -> int:
    db = database(server)
    try:
        return int(
            db.read_sync(
                lambda c: c.execute(
                    sa.select(m.staff_accounts.c.id).where(m.staff_accounts.c.username == user)
                ).scalar_one()
            )
        )
    finally:
        db.close()


def _tokens(server: RunningServer, account_id: int) -> list[tuple[object, object]]:
    db = database(server)
    try:
        t = m.staff_tokens
        return db.read_sync(
            lambda c: [
                (r.created_at, r.revoked_at)
                for r in c.execute(sa.select(t).where(t.c.account_id == account_id))
            ]
        )
    finally:
        db.close()


def _devices(server: RunningServer, account_id: int) -> int:
    db = database(server)
    try:
        return int(
            db.read_sync(
                lambda c: c.execute(
                    sa.select(sa.func.count())
                    .select_from(known_devices)
                    .where(known_devices.c.account_id == account_id)
                ).scalar_one()
            )
        )
    finally:
        db.close()


def test_a_new_password_ends_every_token_and_session_at_once(server: RunningServer) -> None:
    user = new_staff(server)
    old_tokens = [_token(server, user), _token(server, user)]
    browser = Browser(server)
    browser.login(user, PASSWORD)
    assert all(set(_works(server, t)) == {200} for t in old_tokens)

    admin = _admin(server)
    account = _account_id(server, user)
    r = admin.post(f"/admin/accounts/{account}/password", password="a-new-password-2")
    assert r.status_code == 303
    # At once, in every worker: no grace period of a cache.
    for token in old_tokens:
        assert set(_works(server, token)) == {401}
    assert not browser.logged_in()
    assert all(revoked is not None for _, revoked in _tokens(server, account))
    assert _devices(server, account) == 0
    # The new password works, the old one does not.
    assert token_login(server, user, PASSWORD, "198.51.100.43").status_code == 401
    assert set(_works(server, _token(server, user, "a-new-password-2"))) == {200}


def test_disable_then_enable_brings_no_old_token_back(server: RunningServer) -> None:
    user = new_staff(server)
    token = _token(server, user)
    browser = Browser(server)
    browser.login(user, PASSWORD)
    admin = _admin(server)
    account = _account_id(server, user)
    assert admin.post(f"/admin/accounts/{account}/disable").status_code == 303
    assert set(_works(server, token)) == {401}
    assert not browser.logged_in()
    assert_error(token_login(server, user, PASSWORD, "198.51.100.44"), 401, "invalid_credentials")
    assert admin.post(f"/admin/accounts/{account}/enable").status_code == 303
    # Enabled again: the owner logs in anew; what existed before the disable stays dead.
    assert set(_works(server, token)) == {401}
    assert not browser.logged_in()
    assert set(_works(server, _token(server, user))) == {200}


def test_logout_everywhere_from_the_api(server: RunningServer) -> None:
    user = new_staff(server)
    first, second = _token(server, user), _token(server, user)
    browser = Browser(server)
    browser.login(user, PASSWORD)
    account = _account_id(server, user)
    assert _devices(server, account) >= 1
    r = requests.post(
        f"{server.api}/auth/logout-everywhere",
        headers={"Authorization": f"Bearer {first}"},
        timeout=TIMEOUT,
    )
    assert r.status_code == 204, r.text
    assert set(_works(server, first)) == {401} and set(_works(server, second)) == {401}
    assert not browser.logged_in()
    assert _devices(server, account) == 0
    # A kiosk token is not a staff member's: 403, not a logout.
    _, _, kiosk = new_kiosk(server, "huayang")
    r = requests.post(
        f"{server.api}/auth/logout-everywhere",
        headers={"Authorization": f"Bearer {kiosk}"},
        timeout=TIMEOUT,
    )
    assert_error(r, 403, "forbidden")


def test_logout_everywhere_from_the_admin_web(server: RunningServer) -> None:
    user = new_staff(server)
    token = _token(server, user)
    here, there = Browser(server, "198.51.100.45"), Browser(server, "198.51.100.46")
    here.login(user, PASSWORD)
    there.login(user, PASSWORD)
    page = here.get("/admin/fleet").text
    assert 'formaction="/admin/logout-everywhere"' in page and "退出所有设备" in page
    r = here.post("/admin/logout-everywhere")
    assert r.status_code == 303 and r.headers["location"] == "/admin/login"
    assert not here.logged_in() and not there.logged_in()
    assert set(_works(server, token)) == {401}

    # A district admin can send any account out everywhere ("全部下线").
    other = new_staff(server)
    other_token = _token(server, other)
    admin = _admin(server)
    assert "全部下线" in admin.get("/admin/accounts").text
    account = _account_id(server, other)
    assert admin.post(f"/admin/accounts/{account}/logout-everywhere").status_code == 303
    assert set(_works(server, other_token)) == {401}
    assert admin.logged_in()


def test_a_revoked_kiosk_token_stops_within_the_stated_delay(server: RunningServer) -> None:
    device_id, _, token = new_kiosk(server, "huayang")
    headers = {"Authorization": f"Bearer {token}"}

    def status() -> int:
        url = f"{server.api}/kiosk/queues"
        return requests.get(url, headers=headers, timeout=TIMEOUT).status_code

    assert {status() for _ in range(TRIES)} == {200}  # cached in both workers now
    admin = _admin(server)
    fleet = admin.get("/admin/fleet").text
    assert "最多 5 秒内在所有服务进程失效" in fleet
    r = admin.post(f"/admin/kiosks/{device_id}/revoke")
    assert r.status_code == 303
    revoked_at = time.monotonic()
    time.sleep(5.2)
    assert {status() for _ in range(TRIES)} == {401}
    assert time.monotonic() - revoked_at < 30
