"""Calls made through the real API reach the kiosk's home strip and the hall display.

A real ``kiosk-server demo`` on loopback; a real :class:`ContentSync` long-polls its
events exactly as the app's feed does (``on_event`` → the Kivy clock → the screen); staff
call numbers with the counter API. The hall display's board runs in the session's Kivy
window on top of the app, with a silent speaker that records what it was asked to say.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from kivy.clock import Clock

from kiosk.core.wire import EventPublic
from kiosk.display.board import DisplayBoard
from kiosk.display.calls import Call, CallSequence
from kiosk.sync.client import HallClient
from kiosk.sync.service import ContentSync
from kiosk.sync.store import ContentStore
from kiosk.sync.waiting import WaitingCounts
from kiosk.voice import SilentSpeaker
from tests.utils.servers import RunningServer, start_server

pytestmark = pytest.mark.ui


class Desk:
    """A staff member at the hall's windows, over the real API."""

    def __init__(self, server: RunningServer, hall_id: str) -> None:
        self.api = server.api
        self.http = requests.Session()
        self.http.trust_env = False
        login = server.credentials["staff"][hall_id]
        r = self.http.post(f"{self.api}/auth/token", json=login, timeout=30)
        assert r.status_code == 200, r.text
        self.http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        counters = self.http.get(f"{self.api}/counters", timeout=30).json()["counters"]
        self.counters = {c["window"]: c for c in counters if c["hall_id"] == hall_id}

    def issue(self, queue: str) -> str:
        r = self.http.post(
            f"{self.api}/tickets",
            json={"queue": queue},
            headers={"Idempotency-Key": f"desk-{uuid.uuid4().hex}"},
            timeout=30,
        )
        assert r.status_code == 201, r.text
        return str(r.json()["number"])

    def call_next(self, window: int) -> dict[str, Any]:
        counter = self.counters[window]
        r = self.http.post(
            f"{self.api}/counters/{counter['id']}/call-next",
            json={"queues": counter["queues"]},
            timeout=30,
        )
        assert r.status_code == 200, r.text
        return dict(r.json())

    def recall(self, window: int) -> None:
        r = self.http.post(f"{self.api}/counters/{self.counters[window]['id']}/recall", timeout=30)
        assert r.status_code == 200, r.text


@pytest.fixture(scope="module")
def call_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = start_server(tmp_path_factory.mktemp("calls-server"))
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def events_to(call_server: RunningServer, kiosk: Any, tmp_path: Path) -> Iterator[Any]:
    """``events_to(handler)``: a ContentSync of the app's hall whose events go to
    ``handler`` on the Kivy main thread, as the app's own feed wires them."""
    syncs: list[ContentSync] = []
    hall_id = kiosk.app.content.hall.id
    token = call_server.credentials["kiosks"][hall_id]["token"]

    def start(handler: Any) -> ContentSync:
        sync = ContentSync(
            client=HallClient(call_server.base_url, token),
            store=ContentStore(tmp_path / f"content-{len(syncs)}"),
            on_content=lambda _s: None,
            on_event=lambda ev: Clock.schedule_once(lambda _dt: handler(ev)),
            on_status=lambda _s: None,
            app_version="test",
        )
        sync.start()
        syncs.append(sync)
        kiosk.wait_until(lambda: sync.status.online, timeout=60)
        return sync

    yield start
    for sync in syncs:
        sync.stop(timeout=5)


def test_a_call_reaches_the_home_strip(at_home: Any, events_to: Any, call_server: Any) -> None:
    kiosk = at_home
    app = kiosk.app
    events_to(app.apply_event)
    desk = Desk(call_server, app.content.hall.id)
    window = min(desk.counters)
    desk.issue(desk.counters[window]["queues"][0])
    called = desk.call_next(window)
    kiosk.wait_until(lambda: (called["number"], window) in app.calling.calls, timeout=30)
    assert called["number"] in app.calling.calls_text and "号窗口" in app.calling.calls_text


def test_display_shows_calls_in_turn_and_repeats_a_recall(
    at_home: Any, events_to: Any, call_server: RunningServer
) -> None:
    kiosk = at_home
    app = kiosk.app
    speaker = SilentSpeaker()
    board = DisplayBoard(content=lambda: app.content, speaker=speaker, hold=0.5)
    kiosk.window.add_widget(board)
    hall_id = app.content.hall.id
    counts = WaitingCounts(
        HallClient(call_server.base_url, call_server.credentials["kiosks"][hall_id]["token"]),
        lambda c: Clock.schedule_once(lambda _dt: board.set_waiting(c)),
        interval=0.5,
    )
    try:
        board.size = kiosk.window.size
        events_to(board.on_event)
        counts.start()
        desk = Desk(call_server, hall_id)
        windows = sorted(desk.counters)[:2]
        for w in windows:
            desk.issue(desk.counters[w]["queues"][0])
        desk.issue(desk.counters[windows[0]]["queues"][0])  # one stays waiting
        kiosk.wait_until(lambda: "人等候" in board.waiting, timeout=30)
        first = [desk.call_next(w)["number"] for w in windows]  # two calls at once
        kiosk.wait_until(lambda: len(board.announced) >= len(windows), timeout=30)
        assert [c.number for c in board.announced[: len(windows)]] == first
        for w, number in zip(windows, first, strict=True):
            assert board.tiles[w].number == number
        assert first[-1] in board.banner and first[0] in board.recent
        desk.recall(windows[0])
        kiosk.wait_until(lambda: len(board.announced) > len(windows), timeout=30)
        again = board.announced[len(windows)]
        assert again.number == first[0] and again.recall
        spoken = [u.text for u in speaker.said]
        assert len(spoken) == len(windows) + 1
        kiosk.settle()
        assert board.ids.banner.texture_size[0] <= board.ids.banner.width + 1
    finally:
        counts.stop()
        board.stop()
        kiosk.window.remove_widget(board)


def test_calls_arriving_together_never_overlap() -> None:
    seq = CallSequence(hold=4.0)
    for n, w in (("A001", 1), ("B001", 2), ("A001", 1)):
        seq.arrive(Call(n, w, recall=n == "A001" and w == 1 and seq.waiting == 2))
    assert seq.next_due(0.0) == Call("A001", 1)
    assert seq.next_due(1.0) is None  # still showing the first
    assert seq.next_due(4.0) == Call("B001", 2)
    third = seq.next_due(8.1)
    assert third is not None and third.number == "A001" and third.recall  # a recall repeats
    assert seq.windows == {1: "A001", 2: "B001"}
    assert [c.number for c in seq.history] == ["A001", "B001"]
    seq.finished("A001", 1)
    assert seq.windows == {2: "B001"}
    assert seq.next_due(20.0) is None and seq.showing is None


def test_display_event_with_odd_data_is_ignored(at_home: Any) -> None:
    board = DisplayBoard(content=lambda: at_home.app.content)
    try:
        board.on_event(
            EventPublic.model_validate(
                {"seq": 1, "type": "call", "hall_id": "x", "at": "2026-11-26T08:00:00Z", "data": {}}
            )
        )
        assert board.calls.waiting == 0
    finally:
        board.stop()


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)], ids=["landscape", "portrait"])
def test_display_board_fits(at_home: Any, size: Any) -> None:
    """With calls at every window and every queue's count, no text overflows its box."""
    from tests.app.test_every_screen_fits import problems_of

    kiosk = at_home
    app = kiosk.app
    kiosk.resize(*size)
    board = DisplayBoard(content=lambda: app.content, hold=0)
    kiosk.window.add_widget(board)
    try:
        board.size = kiosk.window.size
        codes = [q.code for q in app.content.queues]
        board.set_waiting({c: 100 + i for i, c in enumerate(codes)})
        windows = sorted({w for q in app.content.queues for w in q.windows})
        for i in range(8):
            board.calls.arrive(Call(f"{codes[i % len(codes)]}{i + 1}-{990 + i}", windows[0]))
            board._tick(0)
        kiosk.settle()
        found = problems_of(board)
        assert not found, "\n".join(found)
        assert len(board.recent.splitlines()) == 6
    finally:
        board.stop()
        kiosk.window.remove_widget(board)
        kiosk.resize(1920, 1080)
