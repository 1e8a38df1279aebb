"""Remote care from the fleet page (issue 16), end to end: a real server, a real kiosk
process under Xvfb connected to it, and Chromium on the fleet page. 查看屏幕 brings the
kiosk's real screenshot onto the page, 查看日志 its log lines, 重启 makes it exit with the
restart code; an offline kiosk says 终端离线; bad uploads get a clear 4xx; and the
stuck-screen rule flags a kiosk whose screen stood still while the clock moved on."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

from kiosk.core import clock
from kiosk.server.kiosk_care import screen_stuck
from kiosk.sync.care import RESTART_EXIT_CODE, LogRing, ScreenWatch, parse_commands
from tests.utils.servers import RunningServer, start_server
from tests.utils.waiting import until

REPO = Path(__file__).resolve().parents[2]
HALL = "mingshi-haoting"

needs_display = pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs Xvfb")


# -- pure parts ---------------------------------------------------------------------------


def test_log_ring_keeps_the_last_lines_and_masks_phones_and_id_numbers() -> None:
    ring = LogRing(size=3)
    log = __import__("logging").getLogger("tests.care.ring")
    log.addHandler(ring)
    log.setLevel("INFO")
    try:
        for i in range(5):
            log.info("ticket A00%d for 13912345678, id 37010219800101123X", i)
    finally:
        log.removeHandler(ring)
    lines = ring.lines()
    assert len(lines) == 3 and "A004" in lines[-1] and "A001" not in " ".join(lines)
    assert "13912345678" not in " ".join(lines) and "[电话已隐藏]" in lines[-1]
    assert "37010219800101123X" not in lines[-1] and "[证件号已隐藏]" in lines[-1]


def test_screen_watch_moves_its_time_only_when_the_fingerprint_changes() -> None:
    watch = ScreenWatch()
    assert watch.state() is None
    watch.note("a")
    first = watch.state()
    clock.set_clock_at(clock.now() + dt.timedelta(hours=1))
    try:
        watch.note("a")
        assert watch.state() == first
        watch.note("b")
        state = watch.state()
        assert state is not None and first is not None and state[1] > first[1]
    finally:
        clock.reset()


def test_unknown_commands_are_skipped_not_crashed_on() -> None:
    assert parse_commands(b'{"commands": [{"id": "x", "command": "format_disk"}]}') == []
    assert parse_commands(b"not json") == []
    good = parse_commands(b'{"commands": [{"id": "x", "command": "logs"}]}')
    assert [c.command for c in good] == ["logs"]


def test_the_stuck_rule_needs_time_opening_hours_and_a_reason() -> None:
    now = dt.datetime(2026, 12, 2, 3, 30, tzinfo=dt.UTC)  # 11:30 in the hall
    hours = dt.timedelta(hours=3)
    base: dict[str, Any] = {
        "now": now,
        "threshold": hours,
        "open_now": True,
        "new_day": False,
        "published": False,
        "tickets": True,
    }
    assert screen_stuck(changed_at=now - dt.timedelta(hours=4), **base)
    assert screen_stuck(changed_at=now - dt.timedelta(hours=2), **base) is None
    assert (
        screen_stuck(changed_at=now - dt.timedelta(hours=4), **{**base, "open_now": False}) is None
    )
    quiet = {**base, "tickets": False}
    assert screen_stuck(changed_at=now - dt.timedelta(hours=4), **quiet) is None
    assert "已过了一天" in str(
        screen_stuck(changed_at=now - dt.timedelta(hours=30), **{**quiet, "new_day": True})
    )


# -- a real server and a real kiosk ---------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(
        tmp_path_factory.mktemp("care-server"),
        extra_env={"KIOSK_SERVER_CARE_COMMAND_SECONDS": "1"},
    )
    yield running
    running.stop()


def _kiosk_token(server: RunningServer) -> str:
    return str(server.credentials["kiosks"][HALL]["token"])


def _device_id(server: RunningServer) -> int:
    return int(server.credentials["kiosks"][HALL]["device_id"])


def _counter_id(server: RunningServer) -> int:
    """A counter of HALL, for the rating device (``--mode rating --counter N``)."""
    http = requests.Session()
    http.trust_env = False
    login = http.post(f"{server.api}/auth/token", json=server.credentials["staff"][HALL])
    http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
    counters = http.get(f"{server.api}/counters", timeout=30).json()["counters"]
    return int(next(c["id"] for c in counters if c["hall_id"] == HALL))


def _start_kiosk(
    server: RunningServer, where: Path, mode: tuple[str, ...] = ()
) -> subprocess.Popen[bytes]:
    where.mkdir(parents=True, exist_ok=True)
    env = clock.child_env(
        {
            **os.environ,
            "KIVY_NO_ARGS": "1",
            "KIVY_NO_CONFIG": "1",
            "KIVY_NO_FILELOG": "1",
            "KIVY_HOME": str(where / "kivy"),
            "PYTHONPATH": str(REPO),
        }
    )
    with (where / "kiosk.log").open("wb") as log:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kiosk.cli",
                "--server",
                server.base_url,
                "--token",
                _kiosk_token(server),
                "--data-dir",
                str(where / "data"),
                "--windowed",
                "--size",
                "1280x720",
                *mode,
            ],
            cwd=where,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _until(check: Any, what: str, timeout: float = 60) -> Any:
    return until(check, what, timeout, step=0.2)


def _admin_page(browser: Any, server: RunningServer, width: int = 1400) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    login = server.credentials["admin"]
    page.goto(f"{server.base_url}/admin/login")
    page.fill("#username", login["username"])
    page.fill("#password", login["password"])
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    return page


def _csrf(html: str) -> str:
    return html.split('name="csrf" value="')[1].split('"')[0]


def _staff_session(server: RunningServer, login: dict[str, str]) -> requests.Session:
    s = requests.Session()
    form = s.get(f"{server.base_url}/admin/login", timeout=10).text
    r = s.post(
        f"{server.base_url}/admin/login",
        data={"username": login["username"], "password": login["password"], "csrf": _csrf(form)},
        timeout=10,
    )
    assert r.status_code == 200 and "退出" in r.text, r.text[-1000:]
    return s


def _care_form(page: Any, device_id: int, command: str) -> Any:
    return page.locator(f"#kiosk-{device_id} [data-care-command={command}]")


@needs_display
@pytest.mark.ui
@pytest.mark.parametrize("mode", ["kiosk", "rating"])
def test_screenshot_logs_and_restart_of_a_real_kiosk_from_the_fleet_page(
    server: RunningServer, browser: Any, tmp_path: Path, mode: str
) -> None:
    device = _device_id(server)
    # The rating device (issue 14) runs the same remote care as the kiosk.
    args = ("--mode", "rating", "--counter", str(_counter_id(server))) if mode == "rating" else ()
    kiosk = _start_kiosk(server, tmp_path / "kiosk", args)
    try:
        page = _admin_page(browser, server)
        page.goto(f"{server.base_url}/admin/fleet")

        def online() -> bool:
            page.goto(f"{server.base_url}/admin/fleet")
            row = page.locator(f"#kiosk-{device}")
            return "在线" in row.locator("[data-state]").inner_text()

        assert kiosk.poll() is None, (tmp_path / "kiosk" / "kiosk.log").read_text()[-3000:]
        _until(online, "the kiosk's first heartbeat", 90)
        time.sleep(3)  # home drawn and its screens warming up

        # 查看屏幕: the kiosk's own picture appears on the page, with its time.
        _care_form(page, device, "screenshot").click()
        page.wait_for_load_state("load")
        assert "已请求屏幕截图" in page.locator(".flash").inner_text()
        shot = page.locator(f"[data-care-kiosk='{device}'] img[data-care-shot]")
        shot.wait_for(timeout=45_000)  # fleet.js polls every 2 s while a command waits
        _until(lambda: page.evaluate("(img) => img.naturalWidth", shot.element_handle()), "img")
        src = shot.get_attribute("src")
        cookies = {c["name"]: c["value"] for c in page.context.cookies()}
        got = requests.get(f"{server.base_url}{src}", cookies=cookies, timeout=10)
        assert got.status_code == 200 and got.headers["content-type"] in {
            "image/jpeg",
            "image/png",
        }
        assert len(got.content) <= 300_000
        image = Image.open(io.BytesIO(got.content))
        assert image.size == (1280, 720)  # the kiosk's window, not a placeholder
        colours = image.convert("RGB").resize((32, 18)).getcolors(32 * 18)
        assert colours is not None and len(colours) > 8  # a drawn screen, not a black one
        assert "屏幕截图" in page.locator(f"[data-care-kiosk='{device}'] figcaption").inner_text()

        # 查看日志: its recent log lines, in a monospace box.
        time.sleep(1.1)  # the rate limit (1 s in this server)
        _care_form(page, device, "logs").click()
        page.wait_for_load_state("load")
        box = page.locator(f"[data-care-kiosk='{device}'] [data-care-log]")
        box.wait_for(timeout=45_000)
        text = box.inner_text()
        assert "remote care: screenshot" in text and "remote care: logs" in text, text
        assert "monospace" in page.evaluate(
            "(e) => getComputedStyle(e).fontFamily", box.element_handle()
        )
        page.screenshot(path=str(tmp_path / "fleet-care.png"), full_page=True)

        # Its heartbeat carries what is drawn and since when (the stuck-screen warning).
        def beat() -> dict[str, Any] | None:
            with sqlite3.connect(server.data_dir / "kiosk.sqlite3", timeout=30) as conn:
                raw = conn.execute(
                    "SELECT last_heartbeat FROM kiosk_devices WHERE id = ?", (device,)
                ).fetchone()[0]
            found = json.loads(raw) if raw else {}
            return found if found.get("screen_fingerprint") else None

        heartbeat = _until(beat, "a heartbeat with the screen's fingerprint", 90)
        assert len(heartbeat["screen_fingerprint"]) == 16 and heartbeat["screen_changed_at"]

        # 重启: acknowledged, then the process exits with the code systemd restarts.
        time.sleep(1.1)
        page.once("dialog", lambda d: d.accept())
        _care_form(page, device, "restart").click()
        page.wait_for_load_state("load")
        assert "已发送重启指令" in page.locator(".flash").inner_text()
        assert kiosk.wait(60) == RESTART_EXIT_CODE
        page.goto(f"{server.base_url}/admin/fleet")
        assert "最近一次重启" in page.locator(f"[data-care-kiosk='{device}']").inner_text()
        page.context.close()
    finally:
        if kiosk.poll() is None:
            kiosk.terminate()
            kiosk.wait(20)


def test_a_kiosk_that_never_connected_is_refused_as_offline(
    server: RunningServer, browser: Any
) -> None:
    other = next(h for h in server.credentials["kiosks"] if h != HALL)
    device = int(server.credentials["kiosks"][other]["device_id"])
    page = _admin_page(browser, server)
    page.goto(f"{server.base_url}/admin/fleet")
    _care_form(page, device, "screenshot").click()
    page.wait_for_load_state("load")
    assert "终端离线" in page.locator(".flash").inner_text()
    page.context.close()


def test_hall_staff_may_not_command_another_halls_kiosk(server: RunningServer) -> None:
    other = next(h for h in server.credentials["kiosks"] if h != HALL)
    device = int(server.credentials["kiosks"][other]["device_id"])
    with _staff_session(server, server.credentials["staff"][HALL]) as s:
        page = s.get(f"{server.base_url}/admin/fleet", timeout=10).text
        assert f"kiosk-{device}" not in page  # not even listed
        csrf = _csrf(page)
        r = s.post(
            f"{server.base_url}/admin/fleet/{device}/care",
            data={"csrf": csrf, "command": "restart"},
            timeout=10,
            allow_redirects=False,
        )
        assert r.status_code == 403 and "没有管理这个大厅" in r.text
        r = s.post(
            f"{server.base_url}/admin/fleet/{device}/care",
            data={"csrf": "wrong", "command": "restart"},
            timeout=10,
            allow_redirects=False,
        )
        assert r.status_code == 403 and "安全校验失败" in r.text


def test_uploads_that_are_not_an_image_or_too_large_get_a_clear_4xx(
    server: RunningServer,
) -> None:
    url = f"{server.api}/kiosk/care/screenshot"
    auth = {"Authorization": f"Bearer {_kiosk_token(server)}"}
    r = requests.post(url, data=b"<html>not a picture</html>", headers=auth, timeout=10)
    assert r.status_code == 415 and "截图不是可用的图片" in r.json()["error"]["message"], r.text
    big = io.BytesIO()
    Image.effect_noise((1000, 1000), 100).convert("RGB").save(big, "PNG")
    assert big.tell() > 400_000
    r = requests.post(url, data=big.getvalue(), headers=auth, timeout=10)
    assert r.status_code == 413 and "截图太大" in r.json()["error"]["message"], r.text
    r = requests.post(url, data=b"\x89PNG\r\n\x1a\n" + b"\0" * 100, headers=auth, timeout=10)
    assert r.status_code == 415, r.text
    r = requests.post(url, data=b"x", timeout=10)
    assert r.status_code == 401
    r = requests.post(
        f"{server.api}/kiosk/care/logs", json={"lines": ["x" * 501]}, headers=auth, timeout=10
    )
    assert r.status_code == 422, r.text


def test_stuck_screen_warning_when_the_screen_stood_still_over_a_moved_clock(
    tmp_path: Path,
) -> None:
    """The heartbeat says the screen last changed at 09:00 yesterday; since then the day
    moved on and the hall is open (the server runs at 11:30): 屏幕可能卡住. A kiosk whose
    screen changed a minute ago is not flagged."""
    at = "2026-12-03T11:30:00+08:00"
    running = start_server(
        tmp_path / "server",
        extra_env={"KIOSK_CLOCK_AT": at, "KIOSK_CLOCK_SET_AT": repr(time.time())},
    )
    try:
        auth = {"Authorization": f"Bearer {_kiosk_token(running)}"}
        changed = "2026-12-02T09:00:00+08:00"
        r = requests.post(
            f"{running.api}/kiosk/heartbeat",
            json={"app_version": "t", "screen_fingerprint": "abc", "screen_changed_at": changed},
            headers=auth,
            timeout=10,
        )
        assert r.status_code == 204, r.text
        with _staff_session(running, running.credentials["staff"][HALL]) as s:
            page = s.get(f"{running.base_url}/admin/fleet", timeout=10).text
            row = page.split(f'id="kiosk-{_device_id(running)}"')[1].split("</tr>")[0]
            assert "data-stuck" in row and ">屏幕可能卡住<" in row and "已过了一天" in row
            fresh = "2026-12-03T11:29:00+08:00"
            requests.post(
                f"{running.api}/kiosk/heartbeat",
                json={"app_version": "t", "screen_fingerprint": "abd", "screen_changed_at": fresh},
                headers=auth,
                timeout=10,
            )
            assert "data-stuck" not in s.get(f"{running.base_url}/admin/fleet", timeout=10).text
    finally:
        running.stop()


@pytest.mark.postgres
def test_the_command_round_trip_on_postgresql(postgres_database_url: str, tmp_path: Path) -> None:
    """The same wire without a window, on PostgreSQL: a staff member's 查看屏幕 wakes the
    hall's long-poll with a ``care`` event, the kiosk takes the command once, uploads a
    PNG, and the fleet page serves exactly those bytes; an unknown command is refused."""
    running = start_server(tmp_path / "server", database_url=postgres_database_url)
    try:
        device = _device_id(running)
        auth = {"Authorization": f"Bearer {_kiosk_token(running)}"}
        api = running.api
        after = requests.get(f"{api}/kiosk/events", headers=auth, timeout=10).json()["last_seq"]
        requests.post(
            f"{api}/kiosk/heartbeat", json={"app_version": "t"}, headers=auth, timeout=10
        ).raise_for_status()
        with _staff_session(running, running.credentials["staff"][HALL]) as s:
            csrf = _csrf(s.get(f"{running.base_url}/admin/fleet", timeout=10).text)
            care = f"{running.base_url}/admin/fleet/{device}/care"
            r = s.post(care, data={"csrf": csrf, "command": "screenshot"}, timeout=10)
            assert r.status_code == 200 and "已请求屏幕截图" in r.text
            again = s.post(care, data={"csrf": csrf, "command": "logs"}, timeout=10)
            assert "操作太频繁" in again.text  # the rate limit (1 s here)
            bad = s.post(care, data={"csrf": csrf, "command": "rm -rf"}, timeout=10)
            assert "无法识别的操作" in bad.text
            events = requests.get(
                f"{api}/kiosk/events", params={"after": after}, headers=auth, timeout=10
            ).json()["events"]
            assert [e["type"] for e in events] == ["care"] and events[0]["data"]["kiosk"] == device
            taken = requests.get(f"{api}/kiosk/care/commands", headers=auth, timeout=10).json()
            assert [c["command"] for c in taken["commands"]] == ["screenshot"]
            assert requests.get(f"{api}/kiosk/care/commands", headers=auth, timeout=10).json() == {
                "commands": []
            }  # handed out once
            png = io.BytesIO()
            Image.new("RGB", (320, 180), (200, 30, 30)).save(png, "PNG")
            r = requests.post(
                f"{api}/kiosk/care/screenshot", data=png.getvalue(), headers=auth, timeout=10
            )
            assert r.status_code == 204, r.text
            page = s.get(f"{running.base_url}/admin/fleet", timeout=10).text
            assert f"/admin/fleet/{device}/screenshot" in page
            shot = s.get(f"{running.base_url}/admin/fleet/{device}/screenshot", timeout=10)
            assert shot.content == png.getvalue() and shot.headers["content-type"] == "image/png"
            with _staff_session(running, running.credentials["admin"]) as admin:
                audit = admin.get(f"{running.base_url}/admin/audit", timeout=10).text
            assert "查看自助机屏幕" in audit and "自助机 1" in audit
    finally:
        running.stop()


@needs_display
@pytest.mark.ui
def test_the_hall_display_shows_on_the_fleet_page_and_answers_screenshot_and_restart(
    server: RunningServer, browser: Any, tmp_path: Path
) -> None:
    """``kiosk --mode display`` (the hall's call board) has the kiosk's remote care: it
    beats with its screen's fingerprint, sends its screenshot and log lines when the fleet
    page asks, and exits with the restart code on 重启."""
    device = _device_id(server)
    display = _start_kiosk(server, tmp_path / "display", ("--mode", "display"))
    log = tmp_path / "display" / "kiosk.log"
    try:
        page = _admin_page(browser, server)

        def online() -> bool:
            page.goto(f"{server.base_url}/admin/fleet")
            return "在线" in page.locator(f"#kiosk-{device} [data-state]").inner_text()

        assert display.poll() is None, log.read_text()[-3000:]
        _until(online, "the display's first heartbeat", 90)
        time.sleep(3)  # the board drawn
        time.sleep(1.1)  # the command rate limit (1 s in this server), after the other test
        _care_form(page, device, "screenshot").click()
        page.wait_for_load_state("load")
        assert "已请求屏幕截图" in page.locator(".flash").inner_text()
        shot = page.locator(f"[data-care-kiosk='{device}'] img[data-care-shot]")
        shot.wait_for(timeout=45_000)
        src = shot.get_attribute("src")
        cookies = {c["name"]: c["value"] for c in page.context.cookies()}
        got = requests.get(f"{server.base_url}{src}", cookies=cookies, timeout=10)
        assert got.status_code == 200, got.text[:300]
        image = Image.open(io.BytesIO(got.content))
        assert image.size == (1280, 720)
        colours = image.convert("RGB").resize((32, 18)).getcolors(32 * 18)
        assert colours is not None and len(colours) > 8  # the drawn board, not a black one
        page.screenshot(path=str(tmp_path / "fleet-display.png"), full_page=True)

        time.sleep(1.1)
        _care_form(page, device, "logs").click()
        page.wait_for_load_state("load")
        box = page.locator(f"[data-care-kiosk='{device}'] [data-care-log]")
        box.wait_for(timeout=45_000)
        assert "remote care: screenshot" in box.inner_text(), box.inner_text()

        def beat() -> dict[str, Any] | None:
            with sqlite3.connect(server.data_dir / "kiosk.sqlite3", timeout=30) as conn:
                raw = conn.execute(
                    "SELECT last_heartbeat FROM kiosk_devices WHERE id = ?", (device,)
                ).fetchone()[0]
            found = json.loads(raw) if raw else {}
            return found if found.get("screen_fingerprint") else None

        heartbeat = _until(beat, "a heartbeat with the board's fingerprint", 90)
        assert len(heartbeat["screen_fingerprint"]) == 16

        time.sleep(1.1)
        page.once("dialog", lambda d: d.accept())
        _care_form(page, device, "restart").click()
        page.wait_for_load_state("load")
        assert "已发送重启指令" in page.locator(".flash").inner_text()
        assert display.wait(60) == RESTART_EXIT_CODE, log.read_text()[-3000:]
        page.context.close()
    finally:
        if display.poll() is None:
            display.terminate()
            display.wait(20)
