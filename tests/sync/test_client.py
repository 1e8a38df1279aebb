"""HallClient against the real server, and against a hostile proxy in front of it."""

from __future__ import annotations

import hashlib
import threading
import time

import pytest

from kiosk.core.content import parse_snapshot
from kiosk.core.wire import Heartbeat
from kiosk.sync.client import HallClient
from kiosk.sync.errors import BadResponse, RequestRejected, ServerFault, ServerUnreachable
from tests.utils.sync_halls import Hall

from .harness import free_port
from .hostile import Fault, HostileProxy


def test_content_etag_media_events_heartbeat(hall: Hall) -> None:
    with HallClient(hall.base_url, hall.token) as client:
        first = client.get_content(None)
        assert first.raw is not None and first.etag
        snap = parse_snapshot(first.raw)
        assert snap.hall_id == hall.hall_id

        again = client.get_content(first.etag)
        assert again.raw is None  # 304: unchanged
        assert again.etag == first.etag

        for digest in snap.content.media_hashes():
            assert hashlib.sha256(client.get_media(digest)).hexdigest() == digest

        page = client.events(0, 0)
        assert page.last_seq >= 0
        assert all(e.hall_id == hall.hall_id for e in page.events)

        client.heartbeat(Heartbeat(app_version="test", content_version=snap.version))


def test_server_errors_become_typed_exceptions(hall: Hall) -> None:
    with HallClient(hall.base_url, "not-a-real-token") as stranger:
        with pytest.raises(RequestRejected) as info:
            stranger.get_content(None)
        assert info.value.status == 401
        assert info.value.code  # the server's machine-readable code
    with HallClient(hall.base_url, hall.token) as client, pytest.raises(RequestRejected) as info:
        client.get_media("0" * 64)
    assert info.value.status == 404


def test_server_down_is_unreachable() -> None:
    client = HallClient(f"http://127.0.0.1:{free_port()}", "t", timeout=2)
    with client, pytest.raises(ServerUnreachable, match="connection refused"):
        client.get_content(None)


def test_hostile_answers_become_typed_exceptions(hall: Hall) -> None:
    with (
        HostileProxy(hall.base_url) as proxy,
        HallClient(proxy.base_url, hall.token, timeout=1.0) as client,
    ):
        assert client.get_content(None).raw is not None  # a clean pass-through first

        proxy.fault(Fault("/kiosk/content", "status", status=503, body=b"busy"))
        with pytest.raises(ServerFault) as fault:
            client.get_content(None)
        assert fault.value.status == 503

        proxy.clear()
        proxy.fault(Fault("/kiosk/content", "status", status=418, body=b"<html>teapot</html>"))
        with pytest.raises(RequestRejected) as rejected:
            client.get_content(None)
        assert (rejected.value.status, rejected.value.code) == (418, "http_error")

        proxy.clear()
        proxy.fault(Fault("/kiosk/content", "truncate"))
        with pytest.raises(ServerUnreachable):
            client.get_content(None)

        proxy.clear()
        proxy.fault(Fault("/kiosk/content", "hang_up"))
        with pytest.raises(ServerUnreachable):
            client.get_content(None)

        proxy.clear()
        proxy.fault(Fault("/kiosk/content", "delay", seconds=3.0))
        with pytest.raises(ServerUnreachable, match="timed out"):
            client.get_content(None)

        proxy.clear()
        proxy.fault(Fault("/kiosk/events", "body", body=b'{"events": "nope"}'))
        with pytest.raises(BadResponse, match="EventsPublic"):
            client.events(0, 0)

        proxy.clear()
        assert client.get_content(None).raw is not None  # and the client still works


def test_interrupt_cuts_off_a_long_poll(hall: Hall) -> None:
    with HallClient(hall.base_url, hall.token) as client:
        newest = client.events(0, 0).last_seq
        outcome: list[BaseException | object] = []

        def long_poll() -> None:
            try:
                outcome.append(client.events(newest + 10**9, 25))
            except BaseException as exc:
                outcome.append(exc)

        thread = threading.Thread(target=long_poll)
        started = time.monotonic()
        thread.start()
        time.sleep(0.5)  # let it get into the server's wait
        while thread.is_alive() and time.monotonic() - started < 20:
            client.interrupt()
            thread.join(0.1)
        elapsed = time.monotonic() - started
        assert not thread.is_alive()
        assert len(outcome) == 1 and isinstance(outcome[0], ServerUnreachable), outcome
        print(f"long-poll interrupted after {elapsed:.2f} s")
        # the client reconnects on next use
        assert client.get_content(None).raw is not None


def test_an_oversized_reply_is_refused(hall: Hall) -> None:
    with HallClient(hall.base_url, hall.token, max_body=1000) as client:
        with pytest.raises(BadResponse, match="larger than 1000 bytes"):
            client.get_content(None)
        client.heartbeat(Heartbeat(app_version="test"))  # small replies still pass
