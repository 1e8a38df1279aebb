"""kiosk.core.clock: the one wall clock, set in-process or through the environment."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk.core import clock

REPO = Path(__file__).resolve().parents[2]
SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def restored() -> Iterator[None]:
    yield
    clock.reset()  # back to the suite's clock (KIOSK_CLOCK_AT of tests/utils/hall_clock.py)


def _child_now(env: dict[str, str]) -> dt.datetime:
    code = "from kiosk.core import clock; print(clock.now().isoformat())"
    env = {**env, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return dt.datetime.fromisoformat(out.stdout.strip())


def test_set_clock_at_starts_there_and_runs_on(restored: None) -> None:
    clock.set_clock_at("2026-12-02T23:59:59+08:00")
    first = clock.now(SH)
    assert (first.date(), first.hour, first.minute) == (dt.date(2026, 12, 2), 23, 59)
    time.sleep(1.1)
    later = clock.now(SH)
    assert later.date() == dt.date(2026, 12, 3) and later - first >= dt.timedelta(seconds=1)
    assert clock.now().tzinfo == dt.UTC and clock.injected()
    assert abs(clock.wall_time() - clock.now().timestamp()) < 1


def test_real_time_when_nothing_is_set(restored: None) -> None:
    clock.set_clock_at(None)
    assert not clock.injected()
    assert abs((clock.now() - dt.datetime.now(dt.UTC)).total_seconds()) < 1
    env = clock.child_env({"KIOSK_CLOCK_AT": "2026-01-01T00:00+08:00", "PATH": "/usr/bin"})
    assert clock.ENV_VAR not in env and env["PATH"] == "/usr/bin"


@pytest.mark.parametrize("bad", ["11:30", "2026-12-02T11:30", "tomorrow", "2026-13-02T11:30+08:00"])
def test_a_time_without_offset_or_date_is_refused(bad: str, restored: None) -> None:
    with pytest.raises(ValueError, match="KIOSK_CLOCK_AT"):
        clock.set_clock_at(bad)
    with pytest.raises(ValueError):
        clock.set_clock_at(dt.datetime(2026, 12, 2, 11, 30))  # naive


def test_a_child_process_shares_the_parents_now(restored: None) -> None:
    clock.set_clock_at("2026-12-02T11:30:00+08:00")
    env = clock.child_env()
    time.sleep(1.5)  # the child starts later than the environment was made
    child = _child_now(env)
    assert abs((child - clock.now()).total_seconds()) < 1.0, (child, clock.now())
    # Without KIOSK_CLOCK_SET_AT the child starts at KIOSK_CLOCK_AT itself.
    plain = {k: v for k, v in env.items() if k != clock.ENV_SET_VAR}
    plain[clock.ENV_VAR] = "2026-12-02T20:00:00+08:00"
    at = _child_now(plain).astimezone(SH)
    assert (at.hour, at.minute) == (20, 0)


def test_hall_zone_is_the_one_reader_of_zone_names() -> None:
    assert clock.hall_zone(clock.DEFAULT_TIMEZONE) == SH == clock.HALL_TZ
    assert clock.hall_zone(dt.UTC) is dt.UTC
    with pytest.raises(ValueError, match="未知的时区"):
        clock.hall_zone("Mars/Olympus")


def test_the_suite_runs_at_a_fixed_hall_time() -> None:
    # tests/utils/hall_clock.py: KIOSK_CLOCK_AT is exported, so servers started by a test
    # share this process's "now"; it is never the real hour.
    assert clock.injected() and os.environ[clock.ENV_VAR]
    child = _child_now(dict(os.environ))
    assert abs((child - clock.now()).total_seconds()) < 1.0
