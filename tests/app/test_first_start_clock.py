"""A brand-new kiosk (empty cache, server away) shows the hall's time, not UTC; and one
whose machine clock is years off numbers no ticket (时间校准中) until the time is plausible.

Each case starts a real kiosk window in a child process on the suite's display, with
``KIOSK_CLOCK_AT`` at 11:44 in Jinan and the computer's zone set to UTC (as on the hall
PC where the clock read 03:44), and reads its status bar before any content arrives.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.core import clock
from tests.utils.kiosk_cache import closed_port

REPO = Path(__file__).resolve().parents[2]
AT = "2026-12-02T11:44:00+08:00"  # a Wednesday in Jinan; 03:44 UTC

pytestmark = pytest.mark.ui

CHILD = """
import json, sys
from pathlib import Path
from kiosk.cli import configure_kivy
from kiosk.settings import load_settings

data, url, shot, zone = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
overrides = {} if zone == "-" else {"hall_timezone": zone}
configure_kivy(load_settings(None, windowed=True, size=(1280, 720)))
settings = load_settings(None, server_url=url, token="t", data_dir=data, windowed=True,
                         size=(1280, 720), **overrides)
from kivy.core.window import Window
from kiosk.app import KioskApp
from devkit.kiosk_driver import start_app
from kiosk.feed import make_feed

app = KioskApp(settings=settings, feed=make_feed(settings))
driver = start_app(app)
driver.settle()
driver.pump(5)
if shot:
    Window.screenshot(name=shot)
bar = app.status_bar
refusal = app.care.clock_refusal() if app.care is not None else "no care hooks"
try:
    app.tickets.take("A", None, False)
    took = "taken"
except Exception as exc:
    took = f"{type(exc).__name__}: {exc}"
app.open("take_number")
driver.pump(2)
prompt = app.screens["take_number"].prompt
print("RESULT " + json.dumps({"clock": bar.clock_text, "date": bar.date_line,
      "content": app.content is not None, "now": app.now().isoformat(),
      "refusal": refusal, "took": took, "prompt": prompt}, ensure_ascii=False))
app.feed.stop()
"""


def _first_start(tmp_path: Path, zone: str, shot: str = "", at: str = AT) -> dict[str, object]:
    if not os.environ.get("DISPLAY"):
        pytest.skip("needs a display: run under xvfb-run (make test does)")
    tmp_path.mkdir(parents=True, exist_ok=True)
    data = tmp_path / "data"
    assert not data.exists()  # an empty cache: nothing has ever been synced
    env = {k: v for k, v in os.environ.items() if k != clock.ENV_SET_VAR}
    env.update(
        KIOSK_CLOCK_AT=at,
        TZ="UTC",
        KIVY_NO_ARGS="1",
        KIVY_NO_CONFIG="1",
        KIVY_NO_FILELOG="1",
        KIVY_NO_CONSOLELOG="1",
        KIVY_HOME=str(tmp_path / "kivy"),
        PYTHONPATH=str(REPO),
    )
    url = f"http://127.0.0.1:{closed_port()}"
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(data), url, shot, zone],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stdout[-2000:] + done.stderr[-4000:]
    return dict(json.loads(lines[-1][len("RESULT ") :]))


def test_empty_cache_shows_the_configured_hall_time_not_utc(tmp_path: Path) -> None:
    shown = _first_start(tmp_path, "-", str(tmp_path / "first-start.png"))
    shots = list(tmp_path.glob("first-start*.png"))  # Kivy numbers the file
    assert shots and shots[0].stat().st_size > 10_000, shots  # a window was drawn
    assert shown["content"] is False  # still waiting for the hall's content
    assert shown["clock"] == "11:44", shown  # Asia/Shanghai by default, not 03:44 UTC
    assert str(shown["now"]).endswith("+08:00"), shown
    assert "12月2日" in str(shown["date"]) and "周三" in str(shown["date"]), shown


def test_empty_hall_timezone_falls_back_to_the_systems_zone(tmp_path: Path) -> None:
    shown = _first_start(tmp_path, "")
    assert shown["clock"] == "03:44", shown  # the computer says UTC, and nothing else does
    shown = _first_start(tmp_path / "urumqi", "Asia/Urumqi")
    assert shown["clock"] == "09:44", shown


def test_a_clock_years_off_numbers_no_ticket_and_says_the_time_is_being_set(
    tmp_path: Path,
) -> None:
    """After a power cut the hall PC boots in 2000: no new service day is started."""
    shown = _first_start(tmp_path, "-", at="2000-01-01T08:00:00+08:00")
    assert shown["clock"] == "08:00", shown  # the wrong time is what the machine says
    assert "时间校准中" in str(shown["refusal"]), shown
    assert "NoNumberLeft" in str(shown["took"]) and "时间校准中" in str(shown["took"]), shown
    assert "时间校准中" in str(shown["prompt"]), shown  # said on the 取号 screen itself


def test_a_plausible_clock_is_not_refused(tmp_path: Path) -> None:
    shown = _first_start(tmp_path, "-")
    assert shown["refusal"] is None, shown
    assert "时间校准中" not in str(shown["took"]), shown  # refused, if at all, for no number
    assert "时间校准中" not in str(shown["prompt"]), shown
