"""No 5xx for any input (issue 10 §5): every route of the app, from its own route table.

Each route (API and admin; a route added later is covered without touching this file) is
sent huge integers, 64-bit edge values, extreme dates, wrong types and odd text in every
path parameter, one at a time and all at once, and in every query parameter it declares,
logged in as the district admin (a session with its CSRF token for /admin, a bearer token
for the API, and the kiosk token for the kiosk's routes), against a real server. Not one
answer may be a 5xx, and every refusal of the API carries the JSON error shape.

tests/admin/test_robustness.py posts garbage *bodies* to the admin forms and
tests/proof/test_fuzz.py lets schemathesis generate API requests from the OpenAPI
document (which leaves out the admin web); this file is the one walk over URLs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.utils.admin_web import AdminClient, admin_client, route_values
from tests.utils.logins import staff_token
from tests.utils.servers import RunningServer, start_server

HALL = "huayang"
TIMEOUT = 60

#: What a careless user or an attacker puts where a number, a date or an id belongs.
HOSTILE = [
    "99999999999999999999999",  # beyond any integer column
    str(2**63),  # one past the 64-bit range
    str(2**63 - 1),  # the largest 64-bit integer: valid as a number, names nothing
    str(-(2**63) - 1),
    "-1",
    "0",
    "1.5",
    "1e400",
    "NaN",
    "abc",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "%00",
    "%C0%AF",  # an overlong, invalid UTF-8 slash
    "x" * 300,
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(
        tmp_path_factory.mktemp("no-5xx"),
        extra_env={"KIOSK_SERVER_LONG_POLL_MAX_SECONDS": "0.2"},
    )
    yield running
    running.stop()


def app_routes() -> list[tuple[str, str, list[str]]]:
    """(method, path template, declared query parameters) of every route of the real app."""
    from fastapi.routing import iter_route_contexts

    from kiosk.server.app import create_app
    from kiosk.server.settings import build_settings

    app = create_app(build_settings(demo_mode=True, data_dir="/nonexistent-no-5xx"))

    def query_names(dependant: Any) -> list[str]:
        if dependant is None:
            return []
        names = [f.alias for f in dependant.query_params]
        for sub in dependant.dependencies:
            names += query_names(sub)
        return names

    out: set[tuple[str, str, tuple[str, ...]]] = set()
    for route in iter_route_contexts(app.routes):
        path = route.path
        methods = route.methods or set()
        dependant = getattr(route, "dependant", None)
        for method in methods - {"HEAD"}:
            out.add((method, path, tuple(sorted(set(query_names(dependant))))))
    for mount in app.routes:  # static files: a Mount, not a route with methods
        if type(mount).__name__ == "Mount":
            out.add(("GET", getattr(mount, "path", "") + "/{path}", ()))
    return sorted((m, p, list(q)) for m, p, q in out)


def _valid_values(server: RunningServer) -> dict[str, str]:
    """A value naming a real thing for each path parameter, so one hostile value at a
    time reaches the code behind the others."""
    ctx = route_values(server, HALL)
    values = {k: str(v) for k, v in ctx.items() if not isinstance(v, dict)}
    values.update(
        {
            "staff_id": str(ctx["items"]["staff"]),
            "public_id": "unknown-ticket-0000",
            "path": "admin.css",
        }
    )
    return values


def _fill(template: str, values: dict[str, str], items: dict[str, Any]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        if name == "item_id" and name not in values:
            segment = template[: match.start()].rstrip("/").rsplit("/", 1)[-1]
            return str(items.get(segment, "x"))
        return values.get(name, "x")

    return re.sub(r"\{([^}]+)\}", one, template)


def _params(template: str) -> list[str]:
    return [name.split(":")[0] for name in re.findall(r"\{([^}]+)\}", template)]


class Caller:
    """Sends one request as the right principal; remembers every 5xx and bad shape."""

    def __init__(self, server: RunningServer, admin: AdminClient) -> None:
        self.server = server
        self.admin = admin
        self.staff = {"Authorization": f"Bearer {staff_token(server)}"}
        self.kiosk = {"Authorization": f"Bearer {server.credentials['kiosks'][HALL]['token']}"}
        self.failures: list[str] = []
        self.sent = 0

    def _check(self, method: str, url: str, r: requests.Response, api: bool) -> None:
        self.sent += 1
        if r.status_code >= 500:
            self.failures.append(f"{method} {url} → {r.status_code} {r.text[:200]!r}")
        elif api and r.status_code >= 400:
            try:
                error = r.json()["error"]
                ok = isinstance(error["code"], str) and isinstance(error["message"], str)
            except (ValueError, KeyError, TypeError):
                ok = False
            if not ok:
                self.failures.append(f"{method} {url} → {r.status_code} not the error shape")

    def send(self, method: str, path: str, query: dict[str, str]) -> None:
        if path.startswith("/api/"):
            for headers in (self.staff, self.kiosk):
                r = requests.request(
                    method,
                    self.server.base_url + path,
                    params=query,
                    headers={**headers, "Idempotency-Key": "no-5xx-key-0001"},
                    json={} if method in ("POST", "PUT", "PATCH") else None,
                    timeout=TIMEOUT,
                )
                self._check(method, path, r, api=True)
            return
        if method == "GET":
            r = self.admin.get(path, params=query, allow_redirects=False)
        else:
            r = self.admin.post(path + _query_text(query), {"queue": "Z", "note": "x"})
        self._check(method, path, r, api=False)


def _query_text(query: dict[str, str]) -> str:
    return ("?" + "&".join(f"{k}={v}" for k, v in query.items())) if query else ""


def test_every_route_refuses_hostile_path_and_query_values_without_a_5xx(
    server: RunningServer,
) -> None:
    admin = admin_client(server)
    caller = Caller(server, admin)
    valid = _valid_values(server)
    items = route_values(server, HALL)["items"]
    routes = app_routes()
    assert len(routes) > 80, "the route table should list the API and the admin web"
    covered_params: set[str] = set()
    for method, template, query_names in routes:
        if template in ("/admin/login", "/admin/logout") and method == "POST":
            continue  # the throttle and the session itself: exercised at the end
        params = _params(template)
        covered_params.update(params)
        # One hostile value in one parameter, the others naming real things …
        for name in params:
            for value in HOSTILE:
                caller.send(method, _fill(template, {**valid, name: value}, items), {})
        # … and every parameter hostile at once.
        for value in HOSTILE[:4]:
            everywhere = {name: value for name in params}
            caller.send(method, _fill(template, {**valid, **everywhere}, items), {})
        # Every declared query parameter, one at a time (and ``next``, which the login
        # page reads itself); an undeclared one is never read, so it cannot matter.
        path = _fill(template, valid, items)
        for name in query_names:
            for value in HOSTILE:
                caller.send(method, path, {name: value})
        if method == "GET":
            for value in HOSTILE[:4]:
                caller.send(method, path, {"next": value})
    # Logging out with hostile queries still answers; then the session is gone.
    caller.send("POST", "/admin/logout", {"next": "9999-12-31"})
    assert {"counter_id", "version", "account_id", "device_id", "hall_id", "index"} <= (
        covered_params
    ), covered_params
    assert caller.sent > 2000, caller.sent
    assert not caller.failures, (
        f"{len(caller.failures)} of {caller.sent} answers were 5xx or not the error shape:\n"
        + "\n".join(caller.failures[:40])
    )
    assert server.process.poll() is None, "the server died"


def test_the_answers_named_in_the_issue_are_clear_refusals(server: RunningServer) -> None:
    """The exact URLs of issue 10 §5 that answered 500: now a 4xx naming the problem."""
    admin = admin_client(server)
    huge = "99999999999999999999999"
    for path in (
        f"/admin/counters/{huge}",
        f"/admin/counters/{huge}/live",
        f"/admin/halls/{HALL}/versions/{huge}",
    ):
        r = admin.get(path)
        assert r.status_code == 422, (path, r.status_code, r.text[:200])
        error = r.json()["error"]
        assert error["code"] == "invalid_request" and error["field"], error
    for path in (
        f"/admin/counters/{huge}/call-next",
        f"/admin/counters/{huge}/transfer",
        f"/admin/counters/{huge}/recall",
        f"/admin/halls/{HALL}/versions/{huge}/restore",
        f"/admin/accounts/{huge}/disable",
        f"/admin/accounts/{huge}/enable",
        f"/admin/kiosks/{huge}/revoke",
    ):
        r = admin.post(path, {})
        assert r.status_code == 422, (path, r.status_code, r.text[:200])
        assert "数值太大" in r.json()["error"]["message"], r.text
    for day in ("0001-01-01", "9999-12-31"):
        for page in ("/admin/stats", "/admin/stats.csv"):
            r = admin.get(page, params={"to": day})
            assert r.status_code == 400, (page, day, r.status_code)
            assert "2000-01-01" in r.text and "2100-12-31" in r.text, r.text[:500]
    # The edges themselves are fine: a report may end on the last day of 2100.
    r = admin.get("/admin/stats", params={"from": "2100-12-25", "to": "2100-12-31"})
    assert r.status_code == 200, r.text[:300]
    # The largest 64-bit id is a number the database can hold: simply not found.
    r = admin.get(f"/admin/counters/{2**63 - 1}")
    assert r.status_code == 404, r.status_code
