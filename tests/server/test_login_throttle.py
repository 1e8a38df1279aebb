"""``POST /auth/token`` is throttled like the admin web's login form (one set of rules and
counts, :mod:`kiosk.server.login_throttle`): slowed per account and client address, per
address and per account, never locked; a success clears the account's waits. Each test
uses its own hall's staff account and its own client address (``X-Forwarded-For``, trusted
from loopback),
so nothing here slows what other tests log in with.
"""

from __future__ import annotations

import time
import uuid

import requests

from kiosk.server.login_throttle import RULES, SLOW_AFTER
from tests.utils.server_api import TIMEOUT, Hall, assert_error, make_hall
from tests.utils.servers import RunningServer

PASSWORD = "staff-password-1"  # what make_hall() gives the hall's staff account


def _login(server: RunningServer, username: str, password: str, ip: str) -> requests.Response:
    return requests.post(
        f"{server.api}/auth/token",
        json={"username": username, "password": password},
        headers={"X-Forwarded-For": ip},
        timeout=TIMEOUT,
    )


def _retry_after(r: requests.Response) -> int:
    seconds = int(r.headers["Retry-After"])
    assert seconds >= 1
    return seconds


def _address() -> str:
    return f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"


def test_repeated_failures_are_slowed_and_a_success_resets(hall: Hall) -> None:
    server, user, ip = hall.server, f"staff-{hall.id}", _address()
    for _ in range(SLOW_AFTER):
        assert_error(_login(server, user, "wrong-password", ip), 401, "invalid_credentials")
    # Slowed: even the right password must wait now, and is told how long.
    r = _login(server, user, PASSWORD, ip)
    error = assert_error(r, 429, "too_many_attempts")
    assert "秒后再试" in error["message"]
    time.sleep(_retry_after(r) + 0.2)
    r = _login(server, user, PASSWORD, ip)
    assert r.status_code == 200, r.text
    assert r.json()["access_token"]
    # The success cleared the count: one more failure does not slow the next try.
    assert_error(_login(server, user, "wrong-password", ip), 401, "invalid_credentials")
    assert _login(server, user, PASSWORD, ip).status_code == 200


def test_failures_slow_one_address_and_never_lock_the_account(server: RunningServer) -> None:
    hall = make_hall(server, "throttle-slow")
    user, ip = f"staff-{hall.id}", _address()
    failures = 0
    while failures < SLOW_AFTER + 2:
        r = _login(server, user, "wrong-password", ip)
        if r.status_code == 429:  # slowed: wait as told, then fail once more
            assert_error(r, 429, "too_many_attempts")
            time.sleep(_retry_after(r) + 0.2)
            continue
        assert_error(r, 401, "invalid_credentials")
        failures += 1
    error = assert_error(_login(server, user, PASSWORD, ip), 429, "too_many_attempts")
    assert "后再试" in error["message"]
    # No lock-out: the owner from another address logs in at once.
    assert _login(server, user, PASSWORD, _address()).status_code == 200


def test_one_address_trying_many_names_is_slowed(server: RunningServer) -> None:
    ip = _address()
    for i in range(RULES["ip"].free):
        r = _login(server, f"guess-{uuid.uuid4().hex[:8]}-{i}", "wrong-password", ip)
        assert_error(r, 401, "invalid_credentials")
    admin = server.credentials["admin"]
    r = _login(server, admin["username"], admin["password"], ip)
    error = assert_error(r, 429, "too_many_attempts")
    assert "后再试" in error["message"]
    _retry_after(r)
    # The account itself is fine from elsewhere.
    assert _login(server, admin["username"], admin["password"], _address()).status_code == 200
