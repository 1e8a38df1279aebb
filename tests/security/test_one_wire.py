"""One wire, one behaviour (issue 10 §7): the fast lane answers exactly as the route.

Two real servers on the same demo data: one as deployed (``kiosk/server/hot_paths.py``
answers content polls and ticket issues of a known kiosk), one with ``fast_paths = false``
(every request through the FastAPI routes, the documented implementation). Each case —
content types, bad JSON, missing and extra fields, wrong types, huge bodies, bad
idempotency keys, bad bearer tokens — goes to both; status, error code and error field
must be the same. It once differed: ``Content-Type: text/plain`` got 201 on the fast lane
and 422 from the route.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.utils.logins import staff_token
from tests.utils.servers import RunningServer, start_server

HALL = "huayang"
TIMEOUT = 60
JSON = "application/json"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, RunningServer]]:
    # Tokens stay cached for the whole module, so the fast lane takes what it can.
    cache = {"KIOSK_SERVER_AUTH_CACHE_SECONDS": "600"}
    fast = start_server(tmp_path_factory.mktemp("wire-fast"), extra_env=cache)
    try:
        route = start_server(
            tmp_path_factory.mktemp("wire-route"),
            extra_env={**cache, "KIOSK_SERVER_FAST_PATHS": "false"},
        )
    except BaseException:
        fast.stop()
        raise
    try:
        yield {"fast": fast, "route": route}
    finally:
        fast.stop()
        route.stop()


@dataclass(frozen=True)
class Case:
    name: str
    body: bytes | None = b'{"queue": "A"}'
    content_type: str | None = JSON
    key: str | None = "fresh"  # "fresh": a new valid key per request
    auth: str = "kiosk"  # kiosk | staff | admin | none | raw:<header value>
    chunked: bool = False


TICKET_CASES = [
    Case("valid"),
    Case("valid, charset", content_type="application/json; charset=utf-8"),
    Case("valid, upper-case type", content_type="Application/JSON"),
    Case("text/plain", content_type="text/plain"),
    Case("no content type", content_type=None),
    Case("form encoded", body=b"queue=A", content_type="application/x-www-form-urlencoded"),
    Case("a +json type", content_type="application/merge-patch+json"),
    Case("multipart", content_type="multipart/form-data; boundary=x"),
    Case("bad JSON", body=b'{"queue": '),
    Case("not UTF-8", body=b'\xff\xfe{"queue": "A"}'),
    Case("UTF-8 BOM", body=b'\xef\xbb\xbf{"queue": "A"}'),
    Case("empty body", body=b""),
    Case("JSON null", body=b"null"),
    Case("JSON list", body=b'[{"queue": "A"}]'),
    Case("missing queue", body=b"{}"),
    Case("extra field", body=b'{"queue": "A", "vip": true}'),
    Case("queue a number", body=b'{"queue": 1}'),
    Case("unknown queue", body=b'{"queue": "Z"}'),
    Case("priority yes", body=b'{"queue": "A", "priority": "yes"}'),
    Case("priority 1", body=b'{"queue": "A", "priority": 1}'),
    Case("priority true", body=b'{"queue": "A", "priority": true}'),
    Case("priority NaN", body=b'{"queue": "A", "priority": NaN}'),
    Case("service id a number", body=b'{"queue": "A", "service_id": 5}'),
    Case("number a string", body=b'{"queue": "A", "number": "A001"}'),
    Case(
        "number seq huge",
        body=b'{"queue": "A", "number": {"service_day": "2026-01-01", "seq": 1e400, '
        b'"text": "A001"}}',
    ),
    Case("issued_at a number", body=b'{"queue": "A", "issued_at": 1700000000}'),
    Case("lone surrogate", body=b'{"queue": "\\ud800"}'),
    Case("NUL in a field", body=b'{"queue": "A", "service_id": "a\\u0000b"}'),
    Case("duplicate key", body=b'{"queue": "Z", "queue": "A"}'),
    Case("padded to 20 KB", body=b'{"queue": "A"' + b" " * 20_000 + b"}"),
    Case("6 MB", body=b'{"queue": "A", "x": "' + b"x" * 6_000_000 + b'"}'),
    Case("chunked", chunked=True),
    Case("no key", key=None),
    Case("short key", key="abc"),
    Case("key with a space", key="abc def ghi"),
    Case("key too long", key="k" * 101),
    # UTF-8 bytes on the wire (http.client sends header text as Latin-1).
    Case("key not ASCII", key="号码号码号码号码号码".encode().decode("latin-1")),
    Case("no bearer", auth="none"),
    Case("basic auth", auth="raw:Basic YWRtaW46YWRtaW4="),
    Case("unknown bearer", auth="raw:Bearer not-a-token-of-anyone"),
    Case("bearer too long", auth="raw:Bearer " + "t" * 300),
    Case("bearer empty", auth="raw:Bearer "),
    Case("hall staff", auth="staff"),
    Case("district admin", auth="admin"),
]


class Sender:
    def __init__(self, server: RunningServer) -> None:
        self.server = server
        self.tokens = {
            "kiosk": server.credentials["kiosks"][HALL]["token"],
            "staff": staff_token(server, HALL),
            "admin": staff_token(server),
        }
        for token in self.tokens.values():  # tokens and the hall now in the process's caches
            requests.get(
                f"{server.api}/kiosk/content",
                headers={"Authorization": f"Bearer {token}"},
                timeout=TIMEOUT,
            )

    def headers(self, case: Case, key: str) -> dict[str, str]:
        out: dict[str, str] = {}
        if case.auth.startswith("raw:"):
            out["Authorization"] = case.auth[4:]
        elif case.auth != "none":
            out["Authorization"] = f"Bearer {self.tokens[case.auth]}"
        if case.content_type is not None:
            out["Content-Type"] = case.content_type
        if case.key is not None:
            out["Idempotency-Key"] = key if case.key == "fresh" else case.key
        return out

    def ticket(self, case: Case, key: str) -> requests.Response:
        body: Any = case.body
        if case.chunked:
            body = iter([b'{"queue"', b': "A"}'])
        return requests.post(
            f"{self.server.api}/tickets",
            data=body,
            headers=self.headers(case, key),
            timeout=TIMEOUT,
        )


def outcome(r: requests.Response) -> tuple[Any, ...]:
    """What must be the same: status, and the error's code and field (or the ticket's
    keys and queue)."""
    try:
        data = r.json()
    except ValueError:
        return (r.status_code, "not JSON", r.text[:80])
    if isinstance(data, dict) and "error" in data:
        return (r.status_code, data["error"].get("code"), data["error"].get("field"))
    if isinstance(data, dict):
        return (r.status_code, tuple(sorted(data)), data.get("queue"), data.get("priority"))
    return (r.status_code, type(data).__name__)


@pytest.fixture(scope="module")
def senders(servers: dict[str, RunningServer]) -> dict[str, Sender]:
    return {name: Sender(server) for name, server in servers.items()}


@pytest.mark.parametrize("case", TICKET_CASES, ids=[c.name for c in TICKET_CASES])
def test_a_ticket_request_gets_the_same_answer_from_the_fast_lane_and_the_route(
    senders: dict[str, Sender], case: Case
) -> None:
    key = f"wire-{uuid.uuid4().hex}"
    fast = senders["fast"].ticket(case, key)
    route = senders["route"].ticket(case, key)
    assert outcome(fast) == outcome(route), (case.name, fast.text[:300], route.text[:300])
    assert fast.status_code < 500, fast.text[:300]
    assert fast.headers.get("content-type", "").startswith(JSON), fast.headers
    if fast.status_code >= 400:
        assert fast.json()["error"]["message"] == route.json()["error"]["message"]
    # The same key again: the same replay (200) or the same refusal, on both.
    again_fast = senders["fast"].ticket(case, key)
    again_route = senders["route"].ticket(case, key)
    assert outcome(again_fast) == outcome(again_route), case.name
    if fast.status_code == 201:
        assert again_fast.status_code == 200
        assert again_fast.json()["id"] == fast.json()["id"]


def test_text_plain_is_refused_with_a_422_naming_the_body(senders: dict[str, Sender]) -> None:
    """The case of the issue, spelled out: not 201 on one and 422 on the other."""
    for sender in senders.values():
        r = sender.ticket(Case("text/plain", content_type="text/plain"), uuid.uuid4().hex)
        assert r.status_code == 422, r.text
        assert r.json()["error"]["field"] == "body", r.text


def test_a_key_reused_with_another_body_is_refused_alike(senders: dict[str, Sender]) -> None:
    key = f"wire-{uuid.uuid4().hex}"
    first = {name: s.ticket(Case("valid"), key) for name, s in senders.items()}
    assert {r.status_code for r in first.values()} == {201}
    other = Case("other body", body=b'{"queue": "A", "priority": true}')
    second = {name: s.ticket(other, key) for name, s in senders.items()}
    assert outcome(second["fast"]) == outcome(second["route"]), second["fast"].text
    assert 400 <= second["fast"].status_code < 500


CONTENT_CASES: list[tuple[str, dict[str, str]]] = [
    ("plain", {}),
    ("garbage If-None-Match", {"If-None-Match": '"nonsense", *, "x-v999999999999999999999"'}),
    ("a newer version named", {"If-None-Match": f'"{HALL}-v999999"'}),
]


@pytest.mark.parametrize("auth", ["kiosk", "staff", "none", "raw:Bearer nobody-at-all"])
@pytest.mark.parametrize("name,extra", CONTENT_CASES, ids=[n for n, _ in CONTENT_CASES])
def test_a_content_poll_gets_the_same_answer_from_the_fast_lane_and_the_route(
    senders: dict[str, Sender], auth: str, name: str, extra: dict[str, str]
) -> None:
    answers = {}
    for which, sender in senders.items():
        headers = {k: v for k, v in sender.headers(Case(name, auth=auth), "").items()}
        headers.pop("Content-Type", None)
        headers.pop("Idempotency-Key", None)
        r = requests.get(
            f"{sender.server.api}/kiosk/content", headers={**headers, **extra}, timeout=TIMEOUT
        )
        answers[which] = r
    fast, route = answers["fast"], answers["route"]
    assert fast.status_code == route.status_code, (fast.text[:200], route.text[:200])
    if fast.status_code == 200:
        assert fast.headers["etag"] == route.headers["etag"]
        assert fast.json()["version"] == route.json()["version"]
        # Then the same ETag back: 304 from both.
        for which, sender in senders.items():
            headers = sender.headers(Case(name, auth=auth), "")
            r = requests.get(
                f"{sender.server.api}/kiosk/content",
                headers={
                    "Authorization": headers["Authorization"],
                    "If-None-Match": answers[which].headers["etag"],
                },
                timeout=TIMEOUT,
            )
            assert r.status_code == 304, (which, r.status_code)
    else:
        assert outcome(fast) == outcome(route)
