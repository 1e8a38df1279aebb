"""我要反映 / 办事进度 / 办理公开 by touch in the real app (Xvfb), against a real server.

The session app (tests/app/conftest.py) runs offline; here its request desk is pointed
at a real ``kiosk-server demo`` on loopback (the wiring of :meth:`KioskApp.on_start`), which
the offline test kills with SIGKILL and brings back on its port. Every step is pressed
with a real touch through the window.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kivy.clock import Clock

from kiosk.desk import RequestDesk
from kiosk.sync.backoff import Backoff
from kiosk.sync.requests_outbox import RequestOutbox
from kiosk.theme import theme
from tests.utils.servers import RunningServer, start_server

pytestmark = pytest.mark.ui


@pytest.fixture(scope="module")
def hall_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = start_server(tmp_path_factory.mktemp("report-server"))
    try:
        yield server
    finally:
        server.kill()


def use_request_desk(
    kiosk: Any, server: RunningServer, data_dir: Path, **extra: Any
) -> Iterator[RequestDesk]:
    app = kiosk.app
    hall_id = app.content.hall.id
    settings = dataclasses.replace(
        app.settings,
        server_url=server.base_url,
        token=server.credentials["kiosks"][hall_id]["token"],
        data_dir=data_dir,
    )
    desk = RequestDesk(
        settings,
        on_update=lambda rs: Clock.schedule_once(lambda _dt: app.request_update(rs)),
        on_board=lambda: Clock.schedule_once(lambda _dt: app.board_update()),
        **extra,
    )
    assert desk.courier is not None
    desk.courier._backoff = Backoff(base=0.05, cap=0.3, floor=0.02)
    desk.courier.idle_interval = 0.3
    old = app.requests
    app.requests = desk
    desk.start()
    yield desk
    desk.stop()
    app.requests = old


@pytest.fixture
def desk(kiosk: Any, hall_server: RunningServer, tmp_path: Path) -> Iterator[RequestDesk]:
    yield from use_request_desk(kiosk, hall_server, tmp_path)


def buttons(root: Any) -> list[Any]:
    from kivy.uix.behaviors import ButtonBehavior

    out, stack = [], [root]
    while stack:
        w = stack.pop()
        if isinstance(w, ButtonBehavior) and w.opacity > 0 and not w.disabled:
            out.append(w)
        stack.extend(w.children)
    return out


def button(screen: Any, text: str) -> Any:
    """The enabled button of ``screen`` whose text contains ``text``."""
    found = [b for b in buttons(screen) if text in str(getattr(b, "text", ""))]
    assert found, f"no button {text!r} on {screen.name} ({getattr(screen, 'step', '')})"
    return found[0]


def tap_until(kiosk: Any, widget: Any, done: Any) -> None:
    """Tap ``widget`` and wait for ``done()``: a ScrollView hands a quick tap on to its
    content only after its scroll timeout (Kivy), a few frames later."""
    kiosk.tap(widget)
    try:
        kiosk.wait_until(done, timeout=5)
    except AssertionError:
        scroll = getattr(getattr(widget, "parent", None), "parent", None)
        raise AssertionError(
            f"tap on {getattr(widget, 'text', widget)!r} at "
            f"{widget.to_window(*widget.center)} had no effect; scroll "
            f"{getattr(scroll, 'scroll_y', None)} {getattr(scroll, 'do_scroll_y', None)} "
            f"{getattr(scroll, 'pos', None)} {getattr(scroll, 'size', None)}"
        ) from None


def press(kiosk: Any, screen: Any, key: str) -> None:
    """Press a number-pad key of the report screen directly: the whole pad is on the
    page (never scrolled), in every size and mode."""
    widget = screen.pad.keys[key]
    before = screen.typed
    kiosk.tap(widget)
    assert screen.typed != before, f"key {key!r} at {widget.to_window(*widget.center)} missed"


def report_by_touch(kiosk: Any, *, phrases: tuple[str, ...] = ("水管漏水",)) -> Any:
    """Home → 我要反映 → 报修 → phrases → 3-2-501 → 13812341234 → 提交; the screen."""
    app = kiosk.app
    app.home()
    kiosk.tap(app.screen("home").tiles["report"])
    screen = app.screen("report")
    assert app.current_name == "report" and screen.step == "category"
    tap_until(kiosk, button(screen, "报修"), lambda: screen.step == "phrases")
    for n, phrase in enumerate(phrases, start=1):
        tap_until(kiosk, button(screen, phrase), lambda n=n: len(screen.picked) == n)
    kiosk.tap(button(screen, "下一步"))
    assert screen.step == "location"
    for key in "3-2-501":
        press(kiosk, screen, key)
    assert screen.typed == "3-2-501"
    kiosk.tap(button(screen, "下一步"))
    assert screen.step == "phone"
    for key in "13812341234":
        press(kiosk, screen, key)
    assert screen.typed == "138****1234"  # shown masked while typed
    kiosk.tap(button(screen, "下一步"))
    assert screen.step == "summary"
    tap_until(kiosk, button(screen, "提交"), lambda: screen.step == "receipt")
    return screen


def server_requests(server: RunningServer) -> list[tuple[Any, ...]]:
    """Rows of the server's ``service_requests`` table (its SQLite file, read-only)."""
    db = server.data_dir / "kiosk.sqlite3"  # the server's default database
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return conn.execute(
            "SELECT id, number, query_code, category, location FROM service_requests"
        ).fetchall()


def test_offline_request_receipt_from_the_durable_store_then_delivered_once(
    at_home: Any, desk: RequestDesk, hall_server: RunningServer, tmp_path: Path
) -> None:
    kiosk = at_home
    before = len(server_requests(hall_server))
    hall_server.kill()
    screen = report_by_touch(kiosk, phrases=("水管漏水", "楼道灯不亮"))
    (stored,) = desk.outbox.requests()
    assert stored.status == "pending" and stored.number is None
    view = screen.receipt
    assert view.query_code == stored.query_code and len(stored.query_code) == 6
    assert view.number_line == "编号联网后生成"
    assert "3 个工作日内答复" in view.what
    assert view.url == f"{hall_server.base_url}/r/{stored.public_id}"
    kiosk.settle()
    assert view.ids.qr.texture is not None
    # On disk before the receipt showed: another process's view of the file has it.
    again = RequestOutbox(desk.outbox.path)
    assert [r.public_id for r in again.pending()] == [stored.public_id]
    again.close()
    restarted = hall_server.restart()
    try:
        kiosk.wait_until(lambda: desk.backlog() == 0, timeout=60)
        kiosk.wait_until(lambda: view.number_line.startswith("编号："), timeout=10)
        (delivered,) = desk.outbox.requests()
        assert delivered.number and delivered.number in view.number_line
        assert delivered.phone is None  # the kiosk forgets the phone once delivered
        rows = server_requests(hall_server)
        mine = [r for r in rows if r[0] == stored.public_id]
        assert len(rows) == before + 1 and len(mine) == 1
        assert mine[0][2] == stored.query_code and mine[0][4] == "3-2-501"
        # A retry with the same key (the answer lost) makes no second row.
        assert desk.courier is not None
        desk.courier.client.create(stored.create(), stored.idempotency_key)
        assert len(server_requests(hall_server)) == before + 1
    finally:
        hall_server.process = restarted.process


def test_lookup_by_query_code_shows_the_timeline(at_home: Any, desk: RequestDesk) -> None:
    kiosk = at_home
    app = kiosk.app
    report = report_by_touch(kiosk)
    code = report.request.query_code
    kiosk.wait_until(lambda: desk.backlog() == 0, timeout=60)
    kiosk.tap(report.receipt.ids.done)
    assert app.current_name == "home"
    kiosk.tap(app.screen("home").tiles["progress"])
    progress = app.screen("progress")
    for key in code:
        kiosk.tap(progress.pad.keys[key])
    assert progress.code == code
    kiosk.tap(progress.ids.look_up)
    kiosk.wait_until(lambda: progress.step == "result", timeout=30)
    assert progress.found and progress.found[0]["category_label"] == "报修"
    kiosk.settle()
    texts = [w.text for w in _labels(progress.ids.results)]
    assert any("报修" in t for t in texts), texts
    assert not any("13812341234" in t or "3-2-501" in t for t in texts)  # never personal data
    # A code nobody has: a clear message, the pad stays.
    kiosk.tap(progress.ids.another)
    for key in "000001"[::-1] if code == "100000" else "100000":
        kiosk.tap(progress.pad.keys[key])
    kiosk.tap(progress.ids.look_up)
    kiosk.wait_until(lambda: not progress.busy, timeout=30)
    assert progress.step == "code" and "没有找到" in progress.message


def _labels(root: Any) -> list[Any]:
    from kivy.uix.label import Label

    out, stack = [], [root]
    while stack:
        w = stack.pop()
        if isinstance(w, Label) and w.text:
            out.append(w)
        stack.extend(w.children)
    return out


def test_bad_input_gets_a_clear_message(at_home: Any, desk: RequestDesk) -> None:
    kiosk = at_home
    app = kiosk.app
    kiosk.tap(app.screen("home").tiles["report"])
    screen = app.screen("report")
    tap_until(kiosk, button(screen, "报修"), lambda: screen.step == "phrases")
    kiosk.tap(button(screen, "下一步"))  # nothing picked
    assert screen.step == "phrases" and "至少" in screen.message
    tap_until(kiosk, button(screen, "水管漏水"), lambda: screen.picked == ["水管漏水"])
    kiosk.tap(button(screen, "下一步"))
    for key in "3-2":
        kiosk.tap(screen.pad.keys[key])
    kiosk.tap(button(screen, "下一步"))
    assert screen.step == "location" and "3-2-501" in screen.message
    kiosk.tap(button(screen, "跳过"))
    assert screen.step == "phone" and screen.location == ""
    for key in "2381":
        kiosk.tap(screen.pad.keys[key])
    kiosk.tap(button(screen, "下一步"))
    assert screen.step == "phone" and "11 位" in screen.message
    kiosk.tap(button(screen, "跳过"))
    assert screen.step == "summary"
    lines = dict(screen.summary_lines())
    assert lines["地点："] == "未填写" and lines["电话："] == "未留（匿名）"
    app.home()
    kiosk.tap(app.screen("home").tiles["progress"])
    progress = app.screen("progress")
    kiosk.tap(progress.pad.keys["1"])
    kiosk.tap(progress.ids.look_up)
    assert "6 位数字" in progress.message and progress.step == "code"


def test_elder_mode_speaks_every_step(at_home: Any, desk: RequestDesk) -> None:
    kiosk = at_home
    app = kiosk.app
    kiosk.resize(1080, 1920)
    kiosk.tap(app.screen("home").ids.elder)
    kiosk.wait_until(lambda: theme.elder, timeout=20)
    kiosk.settle()
    try:
        mark = _last_seq(app)
        screen = report_by_touch(kiosk)
        prompts = [u.text for u in app.speaker.said if u.seq > mark and u.kind == "prompt"]
        for expected in ("第 1 步", "第 2 步", "第 3 步", "第 4 步", "第 5 步", "查询码"):
            assert any(expected in p for p in prompts), (expected, prompts)
        code = " ".join(screen.request.query_code)
        receipt_said = next(p for p in prompts if "查询码" in p and code in p)
        assert receipt_said.count(code) == 2  # said twice
        taps = [u.text for u in app.speaker.said if u.seq > mark and u.kind == "tap"]
        assert "报修" in taps and "水管漏水" in taps and "提交" in taps
    finally:
        app.voice.set_elder(False, announce=False)
        kiosk.settle()


def _last_seq(app: Any) -> int:
    said = app.speaker.said
    return said[-1].seq if said else 0


def test_openness_shows_the_months_figures_and_when(at_home: Any, desk: RequestDesk) -> None:
    kiosk = at_home
    app = kiosk.app
    assert "openness" not in app.screen("home").tiles  # eight tiles fit an elder panel
    kiosk.tap(app.screen("home").tiles["progress"])
    # 办理公开 from 办事进度 (its typing page may scroll on a short panel: a tap lands later)
    progress = app.screen("progress")
    kiosk.settle()  # the screen's transition over (a tap during it is dropped)
    tap_until(kiosk, progress.ids.openness, lambda: app.current_name == "openness")
    screen = app.screen("openness")
    kiosk.wait_until(lambda: desk.outbox.board() is not None, timeout=60)
    kiosk.wait_until(lambda: "更新于" in screen.updated, timeout=10)
    assert "受理" in screen.summary and "办结" in screen.summary
    assert "本月好差评：好评率" in screen.summary and "按时回访" in screen.summary


@pytest.mark.parametrize(
    "size", [(1920, 1080), (1080, 1920), (1280, 800)], ids=["landscape", "portrait", "small"]
)
@pytest.mark.parametrize("elder", [False, True], ids=["normal", "elder"])
def test_every_step_fits(at_home: Any, desk: RequestDesk, size: Any, elder: bool) -> None:
    from tests.app.test_every_screen_fits import problems_of

    kiosk = at_home
    app = kiosk.app
    kiosk.resize(*size)
    theme.elder = elder
    kiosk.settle()
    found: list[str] = []
    try:
        app.home()
        app.open("report")
        screen = app.screen("report")
        repair = next(c for c in desk.categories() if c.id == "repair")
        steps = [
            lambda: None,
            lambda: screen.choose(repair),
            lambda: (screen.picked.append(repair.phrases[0]), screen.phrases_done()),
            lambda: ([screen.location_key(k) for k in "3-2-501"], screen.location_done()),
            lambda: ([screen.phone_key(k) for k in "13812341234"], screen.phone_done()),
            screen.submit,
        ]
        for step in steps:
            step()
            kiosk.settle(ticks=20)
            found += [f"report/{screen.step}: {p}" for p in problems_of(screen)]
            if screen.step in ("location", "phone"):
                found += [f"report/{screen.step}: {p}" for p in keys_off_the_page(screen)]
            found += [f"report/{screen.step}: {p}" for p in cards_cut_off(screen)]
        for name in ("progress", "openness"):
            app.open(name)
            kiosk.settle(ticks=20)
            found += [f"{name}: {p}" for p in problems_of(app.screen(name))]
    finally:
        theme.elder = False
        kiosk.settle()
        app.home()
    assert not found, "\n".join(found[:30])


def cards_cut_off(screen: Any) -> list[str]:
    """Cards (the summary) taller than the scroll view that holds them — a resident would
    see them a strip at a time (elder mode in landscape once showed one line) — and
    cards whose lines stick out of them."""
    from kivy.uix.scrollview import ScrollView

    from kiosk.widgets.card import Card

    out = []
    for w in screen.walk():
        if not isinstance(w, Card) or w.opacity == 0:
            continue
        parent = w.parent
        while parent is not None and parent is not screen and not isinstance(parent, ScrollView):
            parent = parent.parent
        if isinstance(parent, ScrollView) and w.height > parent.height + 1:
            out.append(f"card {w.height:.0f} high in a view {parent.height:.0f} high")
        # its lines inside it (the elder portrait receipt once ran up into the heading)
        _cx, cy = w.to_window(w.x, w.y)
        for label in w.walk(restrict=True):
            if label is w or not getattr(label, "text", "").strip() or label.height <= 0:
                continue
            _x, y = label.to_window(label.x, label.y)
            if y < cy - 1 or y + label.height > cy + w.height + 1:
                out.append(f"{label.text[:12]!r} sticks out of its card")
    return out


def keys_off_the_page(screen: Any) -> list[str]:
    """Pad keys a resident could not tap at once: outside the screen, or on a page that
    scrolls (a ScrollView holds taps back, and a hidden row must be scrolled to)."""
    out = []
    if screen.ids.scroll_body.height > 0 and screen.ids.scroll_body.do_scroll_y:
        out.append("the pad's page scrolls")
    sx, sy = screen.to_window(screen.x, screen.y)
    for name, key in screen.pad.keys.items():
        x, y = key.to_window(key.x, key.y)
        inside_x = sx - 1 <= x and x + key.width <= sx + screen.width + 1
        inside_y = sy - 1 <= y and y + key.height <= sy + screen.height + 1
        if not (inside_x and inside_y):
            out.append(f"key {name!r} at {x:.0f},{y:.0f} outside the screen")
    return out


def _wav(path: Path, seconds: float) -> Path:
    import math
    import struct
    import wave

    rate = 8000
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(
            b"".join(
                struct.pack("<h", int(8000 * math.sin(i / 10))) for i in range(int(rate * seconds))
            )
        )
    return path


def test_voice_note_instead_of_phrases_is_uploaded(
    kiosk: Any, at_home: Any, hall_server: RunningServer, tmp_path: Path
) -> None:
    from kiosk.voice.recorder import MAX_SECONDS, FileRecorder

    source = _wav(tmp_path / "mic.wav", 3.0)
    gen = use_request_desk(kiosk, hall_server, tmp_path / "k", recorder=FileRecorder(source))
    desk = next(gen)
    try:
        app = kiosk.app
        kiosk.tap(app.screen("home").tiles["report"])
        screen = app.screen("report")
        tap_until(kiosk, button(screen, "报修"), lambda: screen.step == "phrases")
        kiosk.tap(button(screen, "语音留言"))
        kiosk.tap(button(screen, "停止录音"))
        assert screen.voice is not None and 2.9 < screen.voice.seconds <= MAX_SECONDS
        assert "已录 3 秒" in button(screen, "已录").text
        kiosk.tap(button(screen, "下一步"))  # no phrase: the voice note is enough
        assert screen.step == "location"
        kiosk.tap(button(screen, "跳过"))
        kiosk.tap(button(screen, "跳过"))
        assert dict(screen.summary_lines())["内容："] == "语音留言 3 秒"
        tap_until(kiosk, button(screen, "提交"), lambda: screen.step == "receipt")
        kiosk.wait_until(lambda: desk.outbox.requests()[-1].voice_status == "sent", timeout=60)
        (mine,) = [r for r in server_requests(hall_server) if r[0] == screen.request.public_id]
        db = hall_server.data_dir / "kiosk.sqlite3"
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            kinds = conn.execute(
                "SELECT kind FROM request_media WHERE request_id=?", (mine[0],)
            ).fetchall()
        assert kinds == [("voice",)]
    finally:
        next(gen, None)
