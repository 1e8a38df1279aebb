"""Logins cannot be raced, slow an attacker without locking the owner out, and believe
X-Forwarded-For only from a trusted proxy — on a real two-worker server, SQLite and
PostgreSQL, with truly parallel requests (docs/SERVER.md, "Logins: backoff, not lock-out").
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
import requests
import sqlalchemy as sa

from kiosk.server.db import as_utc
from kiosk.server.login_throttle import RULES, SLOW_AFTER
from kiosk.server.models import login_backoff
from tests.security.auth_support import (
    BACKENDS,
    PASSWORD,
    TIMEOUT,
    TRUST_LOOPBACK,
    all_at_once,
    assert_error,
    database,
    new_staff,
    serve,
    token_login,
)
from tests.utils.servers import RunningServer, start_server

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    yield from serve(request, tmp_path_factory.mktemp("logins"), TRUST_LOOPBACK)


def _attempts(server: RunningServer, key: str) -> int:
    db = database(server)
    try:
        found = db.read_sync(
            lambda c: c.exec_driver_sql(
                "SELECT attempts FROM login_backoff WHERE key = %s"
                if db.kind == "postgresql"
                else "SELECT attempts FROM login_backoff WHERE key = ?",
                (key,),
            ).scalar()
        )
    finally:
        db.close()
    return int(found or 0)


def _allowed(elapsed: float) -> int:
    """Attempts of one account from one address that may be checked within ``elapsed``
    seconds: the free ones, then one more each time a wait of the backoff has passed."""
    rule, allowed, spent = RULES["pair"], SLOW_AFTER, 0.0
    while spent + rule.delay(allowed) <= elapsed:
        spent += rule.delay(allowed)
        allowed += 1
    return allowed


def _delay(server: RunningServer, key: str) -> float:
    """Seconds between the key's last attempt and the next one it accepts."""
    db = database(server)
    try:
        row = db.read_sync(
            lambda c: c.execute(
                sa.select(login_backoff.c.last_at, login_backoff.c.next_at).where(
                    login_backoff.c.key == key
                )
            ).one()
        )
    finally:
        db.close()
    return float(round((as_utc(row.next_at) - as_utc(row.last_at)).total_seconds(), 3))


class Browser:
    """One browser at the admin login form, speaking from ``ip``."""

    def __init__(self, server: RunningServer, ip: str) -> None:
        self.server = server
        self.http = requests.Session()
        self.http.headers["X-Forwarded-For"] = ip
        self.csrf = ""

    def open_form(self) -> None:
        page = self.http.get(f"{self.server.base_url}/admin/login", timeout=TIMEOUT)
        found = _CSRF.search(page.text)
        assert found, page.text
        self.csrf = found.group(1)

    def submit(self, username: str, password: str) -> requests.Response:
        return self.http.post(
            f"{self.server.base_url}/admin/login",
            data={"username": username, "password": password, "csrf": self.csrf, "next": "/admin"},
            timeout=TIMEOUT,
            allow_redirects=False,
        )

    def forget_session(self) -> None:
        """Drop the session cookie (the browser was closed); the device cookie stays."""
        for cookie in list(self.http.cookies):
            if cookie.name == "kiosk_admin":
                self.http.cookies.clear(cookie.domain, cookie.path, cookie.name)

    def login(self, username: str, password: str) -> requests.Response:
        self.open_form()
        return self.submit(username, password)


def test_sixty_parallel_wrong_passwords_verify_no_more_than_the_limit(
    server: RunningServer,
) -> None:
    user = new_staff(server)
    ip = "203.0.113.10"
    started = time.monotonic()
    answers = all_at_once(
        [lambda: token_login(server, user, "wrong-password", ip) for _ in range(60)]
    )
    elapsed = time.monotonic() - started
    verified = [r for r in answers if r.status_code == 401]
    refused = [r for r in answers if r.status_code == 429]
    assert len(verified) + len(refused) == 60, [r.status_code for r in answers]
    # The free attempts were checked, whichever worker took them, and no more than the
    # waits that passed during the burst allow (on a quick machine: exactly the free ones).
    assert SLOW_AFTER <= len(verified) <= _allowed(elapsed), (len(verified), elapsed)
    for r in refused:
        error = assert_error(r, 429, "too_many_attempts")
        assert "后再试" in error["message"]
        # A wait, not a lock-out: a step of the backoff.
        assert 1 <= int(r.headers["Retry-After"]) <= RULES["pair"].delay(len(verified))
    assert _attempts(server, f"pair:{user}|{ip}") == len(verified)


def test_twenty_nine_wrong_and_one_right_in_parallel_on_the_form(server: RunningServer) -> None:
    user = new_staff(server)
    ip = "203.0.113.11"
    browsers = [Browser(server, ip) for _ in range(30)]
    for b in browsers:
        b.open_form()
    passwords = ["wrong-password"] * 29 + [PASSWORD]
    started = time.monotonic()
    answers = all_at_once(
        [lambda b=b, p=p: b.submit(user, p) for b, p in zip(browsers, passwords, strict=True)]
    )
    elapsed = time.monotonic() - started
    codes = [r.status_code for r in answers]
    checked = [c for c in codes if c in (303, 401)]
    assert SLOW_AFTER <= len(checked) <= _allowed(elapsed), (codes, elapsed)
    assert codes.count(429) == 30 - len(checked), codes
    # The right password logged in only if it was among the few attempts that were
    # checked at all: a burst no longer wins by numbers.
    right = answers[-1]
    if right.status_code == 303:
        assert codes.count(401) == len(checked) - 1
    else:
        assert right.status_code == 429 and "后再试" in right.text
        assert "kiosk_admin=" not in right.headers.get("set-cookie", "")


def test_the_attacker_waits_longer_and_longer(server: RunningServer) -> None:
    user = new_staff(server)
    ip = "203.0.113.12"
    for _ in range(SLOW_AFTER):
        assert token_login(server, user, "wrong-password", ip).status_code == 401
    delays = [_delay(server, f"pair:{user}|{ip}")]
    for _ in range(2):
        time.sleep(delays[-1] + 0.3)  # wait it out, then one more checked attempt
        assert token_login(server, user, "wrong-password", ip).status_code == 401
        delays.append(_delay(server, f"pair:{user}|{ip}"))
    # The wait after the 3rd, 4th, 5th checked attempt: 2 s, then 4 s, then 8 s.
    assert delays == [RULES["pair"].delay(n) for n in (3, 4, 5)] == [2, 4, 8], delays
    # Meanwhile a try is refused and told what is left of the wait.
    r = token_login(server, user, PASSWORD, ip)
    assert_error(r, 429, "too_many_attempts")
    assert 1 <= int(r.headers["Retry-After"]) <= delays[-1]


def test_the_owner_from_another_address_logs_in_at_once(server: RunningServer) -> None:
    user = new_staff(server)
    for _ in range(8):
        token_login(server, user, "wrong-password", "203.0.113.13")
    r = token_login(server, user, PASSWORD, "198.51.100.7")
    assert r.status_code == 200, r.text
    # And on the form, from a third address.
    assert Browser(server, "198.51.100.8").login(user, PASSWORD).status_code == 303


def test_the_owners_known_device_gets_through_a_distributed_attack(
    server: RunningServer,
) -> None:
    user = new_staff(server)
    owner_ip = "198.51.100.20"
    first = token_login(server, user, PASSWORD, owner_ip)
    assert first.status_code == 200, first.text
    device = first.json()["device_token"]
    assert device and len(device) >= 32
    browser = Browser(server, owner_ip)
    assert browser.login(user, PASSWORD).status_code == 303
    assert browser.http.cookies.get("kiosk_admin_device")

    # An attacker with many addresses, the owner's among them, hammers the account.
    addresses = [f"192.0.2.{i}" for i in range(1, 41)] + [owner_ip] * 10
    answers = all_at_once(
        [lambda a=a: token_login(server, user, "wrong-password", a) for a in addresses]
    )
    codes = [r.status_code for r in answers]
    # Checked: the account's free attempts, and one more per wait that passed meanwhile.
    assert set(codes) <= {401, 429} and RULES["user"].free <= codes.count(401) < 25, codes
    # The account as a whole is slowed now (never for more than RULES["user"].cap)…
    assert _attempts(server, f"user:{user}") >= RULES["user"].free
    # …but the owner's own device logs in at once, API and form, even from the address
    # the attacker also used.
    again = token_login(server, user, PASSWORD, owner_ip, device_token=device)
    assert again.status_code == 200, again.text
    assert again.json()["device_token"] == device
    browser.forget_session()
    assert browser.login(user, PASSWORD).status_code == 303

    # A device token is no master key: it is one account's, and has a limit of its own.
    other = new_staff(server)
    r = token_login(server, other, "wrong-password", owner_ip, device_token=device)
    assert r.status_code == 401
    for _ in range(RULES["device"].free):
        token_login(server, user, "wrong-password", owner_ip, device_token=device)
    assert_error(
        token_login(server, user, PASSWORD, owner_ip, device_token=device),
        429,
        "too_many_attempts",
    )


def test_the_login_audit_names_the_forwarded_client(server: RunningServer) -> None:
    user = new_staff(server)
    assert Browser(server, "198.51.100.31").login(user, PASSWORD).status_code == 303
    db = database(server)
    try:
        detail = db.read_sync(
            lambda c: c.exec_driver_sql(
                "SELECT target FROM admin_audit WHERE action = 'login' AND username = '"
                + user
                + "'"
            ).scalar()
        )
    finally:
        db.close()
    assert detail == "198.51.100.31"


@pytest.fixture(scope="module")
def untrusted_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A default install: no trusted proxies."""
    running = start_server(tmp_path_factory.mktemp("logins-untrusted"))
    yield running
    running.stop()


def test_forwarded_for_from_an_untrusted_peer_is_ignored(
    untrusted_server: RunningServer,
) -> None:
    server = untrusted_server
    user = new_staff(server)
    # Making up a new address for every try gives the attacker nothing.
    codes = [
        token_login(server, user, "wrong-password", f"192.0.2.{i}").status_code for i in range(1, 8)
    ]
    assert codes == [401] * SLOW_AFTER + [429] * (7 - SLOW_AFTER), codes
    assert _attempts(server, f"pair:{user}|127.0.0.1") == SLOW_AFTER
    other = new_staff(server)
    assert Browser(server, "192.0.2.50").login(other, PASSWORD).status_code == 303
    db = database(server)
    try:
        ip = db.read_sync(
            lambda c: c.exec_driver_sql(
                "SELECT client_ip FROM admin_sessions ORDER BY created_at DESC LIMIT 1"
            ).scalar()
        )
    finally:
        db.close()
    assert ip == "127.0.0.1"
