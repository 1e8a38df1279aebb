"""取号 by touch in the real app (Xvfb): online and offline, against a real server.

The session app (tests/app/conftest.py) runs offline; for these tests its ticket desk is
pointed at a real ``kiosk-server demo`` on loopback (the same wiring as
:meth:`TicketDesk.for_app`, with this test's server address), which the offline test
kills with SIGKILL and brings back on its port.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kivy.clock import Clock
from kivy.uix.label import Label

from kiosk.screens.take_number import TicketDesk, open_queues
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
    """The first button of the take-number step on show."""
    return screen.ids.choices.children[-1]


def take_a_number(kiosk: Any, *, double_tap: bool = True) -> Any:
    """Home → 取号 → first category → first service → 绿色通道 → confirm (tapped twice)."""
    app = kiosk.app
    kiosk.tap(app.screen("home").tiles["take_number"])
    assert app.current_name == "take_number"
    screen = app.screen("take_number")
    assert screen.step == "category"
    kiosk.tap(first_choice(screen))
    if screen.step == "service":
        kiosk.tap(first_choice(screen))
    assert screen.step == "confirm"
    kiosk.tap(screen.ids.priority)
    assert screen.priority
    confirm = screen.ids.confirm
    kiosk.settle()
    x, y = confirm.to_window(confirm.center_x, confirm.center_y)
    kiosk.tap_at(x, y)
    if double_tap:
        kiosk.tap_at(x, y)  # an impatient second tap on the same spot
    assert app.current_name == "ticket"
    return app.screen("ticket")


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


def test_back_steps_inside_take_number(at_home: Any, desk: TicketDesk) -> None:
    kiosk = at_home
    app = kiosk.app
    kiosk.tap(app.screen("home").tiles["take_number"])
    screen = app.screen("take_number")
    kiosk.tap(first_choice(screen))
    assert screen.step in ("service", "confirm")
    kiosk.tap(app.nav.ids.back)
    assert app.current_name == "take_number"
    kiosk.tap(app.nav.ids.back) if screen.step != "category" else None
    assert screen.step == "category"
    kiosk.tap(app.nav.ids.back)
    assert app.current_name == "home"


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
    """Text ≥ 18 dp, targets ≥ 60 dp, nothing overflowing, on every step and the ticket."""
    from tests.app.test_every_screen_fits import problems_of

    kiosk = at_home
    app = kiosk.app
    kiosk.resize(*size)
    kiosk.tap(app.screen("home").tiles["take_number"])
    screen = app.screen("take_number")
    found = []
    while True:
        kiosk.settle()
        found += [f"{screen.step}: {p}" for p in problems_of(screen)]
        if screen.step == "confirm":
            break
        kiosk.tap(first_choice(screen))
    kiosk.tap(screen.ids.confirm)
    ticket_screen = app.screen("ticket")
    kiosk.wait_until(lambda: bool(ticket_screen.url), timeout=60)
    kiosk.settle()
    found += [f"ticket: {p}" for p in problems_of(ticket_screen)]
    card = ticket_screen.ids.ticket_card
    if card.minimum_height > card.height + 1:
        found.append(f"ticket card content {card.minimum_height:.0f} > card {card.height:.0f}")
    assert not found, "\n".join(found)
