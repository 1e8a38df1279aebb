"""取号 by touch in the real app (Xvfb): online and offline, against a real server.

The session app (tests/app/conftest.py) runs offline; for these tests its ticket desk is
pointed at a real ``kiosk-server demo`` on loopback (the same wiring as
:meth:`KioskApp.on_start`, with this test's server address), which the offline test
kills with SIGKILL and brings back on its port.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kivy.clock import Clock
from kivy.uix.label import Label

from kiosk.desk import TicketDesk, open_queues
from kiosk.sync.backoff import Backoff
from tests.app.test_offline_and_navigation import find
from tests.utils.servers import RunningServer, start_server

pytestmark = pytest.mark.ui


@pytest.fixture(scope="module")
def hall_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = start_server(tmp_path_factory.mktemp("take-number-server"))
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def desk(kiosk: Any, hall_server: RunningServer, tmp_path: Path) -> Iterator[TicketDesk]:
    """The app's ticket desk, talking to ``hall_server`` as the hall's demo kiosk."""
    yield from use_desk(kiosk, hall_server, tmp_path, {})


def use_desk(
    kiosk: Any, hall_server: RunningServer, data_dir: Path, printer: dict[str, Any]
) -> Iterator[TicketDesk]:
    app = kiosk.app
    hall_id = app.content.hall.id
    settings = dataclasses.replace(
        app.settings,
        server_url=hall_server.base_url,
        token=hall_server.credentials["kiosks"][hall_id]["token"],
        data_dir=data_dir,
        printer=printer,
    )
    desk = TicketDesk(
        settings,
        lambda: app.content,
        on_update=lambda ts: Clock.schedule_once(lambda _dt: app.ticket_update(ts)),
    )
    desk.courier._backoff = Backoff(base=0.05, cap=0.3, floor=0.02)
    desk.courier.idle_interval = 0.3
    old = app.tickets
    app.tickets = desk
    desk.start()
    codes = [q.code for q in open_queues(app.content)]
    kiosk.wait_until(lambda: all(desk.outbox.numbers_left(c) > 0 for c in codes), timeout=60)
    yield desk
    desk.stop()
    app.tickets = old


def first_choice(screen: Any) -> Any:
    """The first queue tile of the take-number screen."""
    return screen.ids.choices.children[-1]


def tile_of(screen: Any, code: str) -> Any:
    """The take-number screen's tile of queue ``code``."""
    return next(b for b in screen.ids.choices.children if b.queue_code == code)


class Taps:
    """Taps through the real window, counted from home."""

    def __init__(self, kiosk: Any) -> None:
        self.kiosk = kiosk
        self.count = 0

    def on(self, widget: Any) -> None:
        self.kiosk.settle()
        x, y = widget.to_window(widget.center_x, widget.center_y)
        self.at(x, y)

    def at(self, x: float, y: float) -> None:
        self.count += 1
        self.kiosk.tap_at(x, y)


def take_a_number(
    kiosk: Any, *, double_tap: bool = True, priority: bool = True, queue: str | None = None
) -> Any:
    """Home → 取号 → (绿色通道) → the queue's tile (tapped twice: an impatient resident).

    Asserts the taps it took: two, three with 绿色通道 (the second tap of a double tap
    is not counted: the ticket was already there).
    """
    app = kiosk.app
    taps = Taps(kiosk)
    taps.on(app.screen("home").tiles["take_number"])
    assert app.current_name == "take_number"
    screen = app.screen("take_number")
    if priority:
        taps.on(screen.ids.priority)
        assert screen.priority
    tile = first_choice(screen) if queue is None else tile_of(screen, queue)
    kiosk.settle()
    x, y = tile.to_window(tile.center_x, tile.center_y)
    taps.at(x, y)
    assert app.current_name == "ticket"
    assert taps.count == (3 if priority else 2)
    if double_tap:
        kiosk.tap_at(x, y)  # an impatient second tap on the same spot
    assert app.current_name == "ticket"
    return app.screen("ticket")


def test_common_case_two_taps_and_a_queue_with_several_services_too(
    at_home: Any, desk: TicketDesk
) -> None:
    """Two taps from home to the number; a queue with several services: still two, the
    number in that queue; its tile names its services."""
    kiosk = at_home
    app = kiosk.app
    before = len(desk.outbox.tickets())
    ticket_screen = take_a_number(kiosk, priority=False)
    first = desk.outbox.tickets()[-1]
    assert len(desk.outbox.tickets()) == before + 1
    assert ticket_screen.number == first.number and not first.priority
    assert first.queue == open_queues(app.content)[0].code
    kiosk.tap(ticket_screen.ids.done)
    screen = app.screen("take_number")
    many = [q for q in open_queues(app.content) if len(screen._services(app.content, q)) >= 2]
    assert many, "the demo hall has no queue with several services"
    queue = many[-1]
    names = [s.name for s in screen._services(app.content, queue)]
    ticket_screen = take_a_number(kiosk, priority=False, queue=queue.code, double_tap=False)
    ticket = desk.outbox.tickets()[-1]
    assert ticket.queue == queue.code and ticket_screen.number == ticket.number
    assert ticket.number.startswith(queue.code)
    app.back()
    app.open("take_number")
    assert names[0] in tile_of(screen, queue.code).text
    app.home()


def test_mistaken_tile_retake_in_one_tap_and_a_double_tap_does_not_retake(
    at_home: Any, desk: TicketDesk
) -> None:
    """重新取号 is one tap back to the tiles; a double tap on a tile lying under it (the
    second touch lands on the ticket screen) neither retakes nor takes a second number."""
    from kiosk.screens.ticket import RETAKE_GUARD

    kiosk = at_home
    app = kiosk.app
    codes = [q.code for q in open_queues(app.content)]
    assert len(codes) >= 2
    ticket_screen = take_a_number(kiosk, priority=False, queue=codes[0], double_tap=False)
    retake = ticket_screen.ids.retake
    kiosk.settle()
    spot = retake.to_window(retake.center_x, retake.center_y)
    time.sleep(RETAKE_GUARD)  # a real choice, after reading the ticket
    taps = Taps(kiosk)
    taps.on(retake)
    assert app.current_name == "take_number"
    screen = app.screen("take_number")
    kiosk.settle()
    under = [b for b in screen.ids.choices.children if b.collide_point(*b.to_widget(*spot))]
    assert under, "no tile lies under 重新取号 in this layout"
    before = len(desk.outbox.tickets())
    taps.at(*spot)
    kiosk.tap_at(*spot)  # the impatient second tap lands on 重新取号
    assert app.current_name == "ticket" and taps.count == 2
    assert len(desk.outbox.tickets()) == before + 1
    assert desk.outbox.tickets()[-1].queue == under[0].queue_code
    kiosk.tap(app.nav.ids.back)
    assert app.current_name == "home"


def test_online_ticket_by_touch(at_home: Any, desk: TicketDesk) -> None:
    kiosk = at_home
    before = len(desk.outbox.tickets())
    ticket_screen = take_a_number(kiosk)
    taken = desk.outbox.tickets()
    assert len(taken) == before + 1, "a double tap made a second ticket"
    ticket = taken[-1]
    assert ticket.priority and ticket.lease_id is not None
    assert ticket_screen.number == ticket.number
    # The server confirms it: its figures and the QR code appear on the screen.
    kiosk.wait_until(lambda: bool(ticket_screen.url), timeout=60)
    assert ticket_screen.url.endswith(f"/t/{desk.outbox.ticket(ticket.local_id).public_id}")
    assert ticket_screen.note == ""
    assert ticket_screen.ids.qr.texture is not None
    labels = " ".join(w.text for w in find(ticket_screen, Label))
    assert ticket.number in labels and "请留意叫号" in labels, labels
    kiosk.tap(ticket_screen.ids.done)
    assert kiosk.app.current_name == "home"


def test_offline_ticket_by_touch_then_delivered(
    at_home: Any, desk: TicketDesk, hall_server: RunningServer
) -> None:
    kiosk = at_home
    hall_server.kill()
    ticket_screen = take_a_number(kiosk, double_tap=False)
    ticket = desk.outbox.tickets()[-1]
    assert ticket_screen.number == ticket.number and ticket.status == "pending"
    # The QR code is there at once: the kiosk minted the ticket's public id.
    assert ticket.url and ticket_screen.url == ticket.url and "估计" in ticket_screen.note
    assert ticket.url.endswith(f"/t/{ticket.public_id}")
    kiosk.settle()
    assert ticket_screen.ids.qr.texture is not None and ticket_screen.ids.qr.opacity == 1
    assert "前面" in ticket_screen.ahead or "没有人" in ticket_screen.ahead
    assert desk.backlog() == 1
    restarted = hall_server.restart()
    try:
        kiosk.wait_until(lambda: desk.backlog() == 0 and not ticket_screen.note, timeout=60)
        assert ticket_screen.number == ticket.number and ticket_screen.url == ticket.url
    finally:
        hall_server.process = restarted.process  # the fixture kills the running one


def test_back_from_take_number_goes_home(at_home: Any, desk: TicketDesk) -> None:
    kiosk = at_home
    app = kiosk.app
    kiosk.tap(app.screen("home").tiles["take_number"])
    screen = app.screen("take_number")
    kiosk.tap(screen.ids.priority)
    assert screen.priority
    kiosk.tap(app.nav.ids.back)
    assert app.current_name == "home"
    kiosk.tap(app.screen("home").tiles["take_number"])
    assert not screen.priority, "绿色通道 is forgotten once the resident has left"


def test_receipt_printed_and_a_printer_fault_shown_and_spoken(
    at_home: Any, hall_server: RunningServer, tmp_path: Path
) -> None:
    from kiosk.voice import SilentSpeaker

    kiosk = at_home
    app = kiosk.app
    paper = tmp_path / "printer.bin"
    paper.touch()
    printed = use_desk(kiosk, hall_server, tmp_path / "a", {"kind": "file", "device": str(paper)})
    desk = next(printed)
    try:
        ticket_screen = take_a_number(kiosk, double_tap=False)
        kiosk.wait_until(lambda: paper.stat().st_size > 0, timeout=60)
        data = paper.read_bytes()
        assert ticket_screen.number.encode("gb18030") in data
        assert desk.outbox.tickets()[-1].public_id.encode() in data  # the QR's phone page
        assert ticket_screen.printer_message == ""
    finally:
        next(printed, None)
    # The app's own speaker when it has one (every Speaker records what it was asked).
    own_speaker = isinstance(getattr(type(app), "speaker", None), property)
    if not own_speaker:
        app.speaker = SilentSpeaker()
    broken = use_desk(kiosk, hall_server, tmp_path / "b", {"kind": "file", "device": str(tmp_path)})
    desk = next(broken)
    try:
        app.home()
        ticket_screen = take_a_number(kiosk, double_tap=False)
        kiosk.wait_until(lambda: bool(ticket_screen.printer_message), timeout=60)
        assert "仍然有效" in ticket_screen.printer_message
        assert ticket_screen.number == desk.outbox.tickets()[-1].number  # still on screen
        assert any("打印" in u.text or "有效" in u.text for u in app.speaker.said)
    finally:
        next(broken, None)
        if not own_speaker:
            del app.speaker


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)], ids=["landscape", "portrait"])
def test_every_step_fits_big_enough(at_home: Any, desk: TicketDesk, size: Any) -> None:
    """Text ≥ 18 dp, targets ≥ 60 dp, nothing overflowing, on the tiles and the ticket."""
    from tests.app.test_every_screen_fits import problems_of

    kiosk = at_home
    app = kiosk.app
    kiosk.resize(*size)
    kiosk.tap(app.screen("home").tiles["take_number"])
    screen = app.screen("take_number")
    kiosk.tap(screen.ids.priority)
    kiosk.settle()
    found = [f"take_number: {p}" for p in problems_of(screen)]
    kiosk.tap(first_choice(screen))
    ticket_screen = app.screen("ticket")
    kiosk.wait_until(lambda: bool(ticket_screen.url), timeout=60)
    kiosk.settle()
    found += [f"ticket: {p}" for p in problems_of(ticket_screen)]
    card = ticket_screen.ids.ticket_card
    if card.minimum_height > card.height + 1:
        found.append(f"ticket card content {card.minimum_height:.0f} > card {card.height:.0f}")
    assert not found, "\n".join(found)
