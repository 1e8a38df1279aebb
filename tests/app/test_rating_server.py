"""The rating device against a real ``kiosk-server demo`` on loopback, driven by touches.

Staff complete a ticket with the counter API; the device hears it through a real
:class:`~kiosk.sync.service.ContentSync` event long-poll (as the app's feed does), asks,
is touched, stores the rating and the :class:`~kiosk.rating.link.RatingCourier`
delivers it with its Idempotency-Key. What the server kept is read from its real SQLite
file. Offline: the server is stopped before the touch and started again on the same
port and data; the rating arrives once, and a repeated delivery does not double it.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from kivy.clock import Clock

from kiosk.core import clock
from kiosk.rating.device import RatingDevice
from kiosk.rating.link import CardFollower, RatingClient, RatingCourier
from kiosk.rating.session import Finished, RatingSession
from kiosk.rating.store import RatingStore
from kiosk.sync.client import HallClient
from kiosk.sync.service import ContentSync
from kiosk.sync.store import ContentStore
from kiosk.voice import SilentSpeaker
from tests.utils.servers import RunningServer, start_server

pytestmark = pytest.mark.ui


class MovableClock:
    def __init__(self) -> None:
        self.at = clock.now()

    def __call__(self) -> dt.datetime:
        return self.at

    def move(self, seconds: float) -> None:
        self.at += dt.timedelta(seconds=seconds)


class Counter:
    """A staff member at one window of the demo hall, over the real API."""

    def __init__(self, server: RunningServer, hall_id: str) -> None:
        self.api = server.api
        self.http = requests.Session()
        self.http.trust_env = False
        login = server.credentials["staff"][hall_id]
        r = self.http.post(f"{self.api}/auth/token", json=login, timeout=30)
        assert r.status_code == 200, r.text
        self.http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        counters = self.http.get(f"{self.api}/counters", timeout=30).json()["counters"]
        mine = sorted((c for c in counters if c["hall_id"] == hall_id), key=lambda c: c["window"])
        self.counter = mine[0]
        self.id = int(self.counter["id"])

    def serve_one(self) -> str:
        """Issue a ticket, call, start and complete it here; its public id."""
        queue = self.counter["queues"][0]
        issued = self.http.post(
            f"{self.api}/tickets",
            json={"queue": queue},
            headers={"Idempotency-Key": f"desk-{uuid.uuid4().hex}"},
            timeout=30,
        )
        assert issued.status_code == 201, issued.text
        while True:
            called = self.http.post(
                f"{self.api}/counters/{self.id}/call-next", json={"queues": [queue]}, timeout=30
            )
            assert called.status_code == 200, called.text
            if called.json()["id"] == issued.json()["id"]:
                break
        done = self.http.post(f"{self.api}/counters/{self.id}/complete", timeout=30)
        assert done.status_code == 200, done.text
        return str(done.json()["id"])

    def seat(self, staff_id: str) -> None:
        r = self.http.put(
            f"{self.api}/counters/{self.id}/rating-card", json={"staff_id": staff_id}, timeout=30
        )
        assert r.status_code == 204, r.text


def server_ratings(server: RunningServer, ticket_public_id: str) -> list[tuple[Any, ...]]:
    """The ratings the server stored for the ticket: (level, reasons, channel, window)."""
    db = sqlite3.connect(f"file:{server.data_dir / 'kiosk.sqlite3'}?mode=ro", uri=True)
    try:
        return db.execute(
            "SELECT r.level, r.reasons, r.channel, r.window FROM ratings r "
            "JOIN tickets t ON t.id = r.ticket_id WHERE t.public_id = ?",
            (ticket_public_id,),
        ).fetchall()
    finally:
        db.close()


@pytest.fixture(scope="module")
def rating_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = start_server(tmp_path_factory.mktemp("rating-server"))
    try:
        yield server
    finally:
        server.kill()


class Device:
    """The rating device's parts wired as :class:`kiosk.rating.app.RatingApp` wires them."""

    def __init__(self, kiosk: Any, server: RunningServer, hall_id: str, folder: Path) -> None:
        self.kiosk = kiosk
        self.desk = Counter(server, hall_id)
        token = server.credentials["kiosks"][hall_id]["token"]
        self.clock = MovableClock()
        self.store = RatingStore(folder / "rating")
        self.client = RatingClient(server.base_url, token)
        self.courier = RatingCourier(self.store, self.client, idle_interval=0.5)
        session = RatingSession(
            counter_id=self.desk.id,
            device_id="rating-test",
            clock=self.clock,
            on_finished=self.keep,
        )
        self.device = RatingDevice(session=session, store=self.store, speaker=SilentSpeaker())
        self.cards = CardFollower(
            self.store,
            self.client,
            self.desk.id,
            on_card=lambda card: Clock.schedule_once(lambda _dt: self.device.show_card(card)),
        )
        self.sync = ContentSync(
            client=HallClient(server.base_url, token),
            store=ContentStore(folder / "content"),
            on_content=lambda _s: None,
            on_event=lambda ev: Clock.schedule_once(lambda _dt: self.device.on_event(ev)),
            on_status=lambda _s: None,
            app_version="test",
        )

    def keep(self, finished: Finished) -> None:
        self.store.add(finished)
        self.courier.wake()

    def start(self) -> None:
        self.kiosk.window.add_widget(self.device)
        self.device.size = self.kiosk.window.size
        self.sync.start()
        self.courier.start()
        self.cards.start()
        self.kiosk.wait_until(lambda: self.sync.status.online, timeout=60)

    def stop(self) -> None:
        self.sync.stop(timeout=5)
        self.courier.stop()
        self.cards.stop()
        self.device.stop()
        self.kiosk.window.remove_widget(self.device)
        self.store.close()

    def tap(self, widget: Any) -> None:
        self.kiosk.tap(widget)
        self.kiosk.settle()

    def face(self, level: str) -> Any:
        faces = self.device.get_screen("ask").ids.faces.children
        return next(f for f in faces if f.level == level)

    def asked(self, timeout: float = 30) -> None:
        self.kiosk.wait_until(lambda: self.device.shown == "ask", timeout=timeout)

    def delivered(self, timeout: float = 60) -> None:
        self.kiosk.wait_until(lambda: self.store.backlog() == 0, timeout=timeout)


@pytest.fixture
def device(at_home: Any, rating_server: RunningServer, tmp_path: Path) -> Iterator[Device]:
    kiosk = at_home
    kiosk.resize(1280, 800)
    d = Device(kiosk, rating_server, kiosk.app.content.hall.id, tmp_path)
    d.start()
    try:
        yield d
    finally:
        d.stop()
        kiosk.resize(1920, 1080)


def test_complete_asks_and_a_touched_face_reaches_the_server(
    device: Device, rating_server: RunningServer
) -> None:
    staff = next(s for s in device.kiosk.app.content.staff if s.photo)
    device.desk.seat(staff.id)
    device.cards.wake()  # seating publishes no event (yet): the card is re-read now and then
    device.kiosk.wait_until(
        lambda: device.device.get_screen("idle").ids.staff_name.text == staff.name, timeout=30
    )
    # the photo came with the card, checked against its hash, and is cached for offline
    assert device.store.photo_path() is not None
    assert device.device.get_screen("idle").photo
    ticket = device.desk.serve_one()
    device.asked()
    device.tap(device.face("very_satisfied"))
    assert device.device.shown == "thanks"
    device.delivered()
    [(level, reasons, channel, window)] = server_ratings(rating_server, ticket)
    assert (level, channel, window) == ("very_satisfied", "device", device.desk.counter["window"])
    assert reasons in ("[]", [])


def test_a_bad_rating_with_its_reason_reaches_the_server(
    device: Device, rating_server: RunningServer
) -> None:
    ticket = device.desk.serve_one()
    device.asked()
    device.tap(device.face("unsatisfied"))
    reasons = device.device.get_screen("reasons")
    device.tap(reasons.ids.next)  # no reason yet: refused on the device
    assert device.device.shown == "reasons" and reasons.ids.problem.text
    device.tap(next(t for t in reasons.ids.tiles.children if t.value == "waiting"))
    device.tap(reasons.ids.next)
    device.tap(device.device.get_screen("phone").ids.submit_anonymous)
    device.delivered()
    [(level, reasons_json, _channel, _window)] = server_ratings(rating_server, ticket)
    assert level == "unsatisfied" and "waiting" in str(reasons_json)


def test_sixty_seconds_untouched_reaches_the_server_as_unrated(
    device: Device, rating_server: RunningServer
) -> None:
    ticket = device.desk.serve_one()
    device.asked()
    device.clock.move(61)
    device.kiosk.wait_until(lambda: device.device.shown == "idle", timeout=10)
    device.delivered()
    [(level, _reasons, _channel, _window)] = server_ratings(rating_server, ticket)
    assert level is None


def test_offline_the_rating_is_kept_then_delivered_once(
    device: Device, rating_server: RunningServer
) -> None:
    ticket = device.desk.serve_one()
    device.asked()
    rating_server.stop()
    try:
        device.tap(device.face("fair"))
        assert device.device.shown == "thanks"  # the server is away: stored, thanked
        [row] = [r for r in device.store.all() if r.body.ticket_id == ticket]
        assert row.status == "pending"
        device.courier.wake()
        device.kiosk.wait_until(lambda: device.courier.last_error is not None, timeout=30)
        assert device.store.backlog() == 1
    finally:
        # the module's fixture kills this object's process at the end: hand it the new one
        rating_server.process = rating_server.restart().process
    device.courier.wake()
    device.delivered(timeout=90)
    assert server_ratings(rating_server, ticket) == [
        ("fair", "[]", "device", device.desk.counter["window"])
    ]
    # The answer to a delivery lost (a crash before it was marked): delivered again with
    # the same key, the server answers with the same rating and keeps one.
    device.store.mark(row.local_id, "pending")
    device.courier.wake()
    device.delivered()
    [again] = [r for r in device.store.all() if r.body.ticket_id == ticket]
    assert again.status == "delivered" and again.idempotency_key == row.idempotency_key
    assert len(server_ratings(rating_server, ticket)) == 1
