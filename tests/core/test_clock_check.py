"""The clock-plausibility rule before a ticket is numbered (kiosk/core/clock_check.py)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from kiosk.core.clock_check import (
    BACKWARDS_SLACK,
    EARLIEST,
    SERVER_TOLERANCE,
    ClockGuard,
    check_clock,
)

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_a_sane_clock_is_plausible_offline_and_online() -> None:
    assert check_clock(NOW).plausible
    assert check_clock(NOW, last_good=NOW - dt.timedelta(days=3)).plausible
    assert check_clock(NOW, server_offset=dt.timedelta(minutes=2)).plausible


def test_before_the_build_or_far_in_the_future_is_not() -> None:
    verdict = check_clock(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    assert not verdict.plausible and "发布时间" in verdict.reason
    assert not check_clock(EARLIEST - dt.timedelta(seconds=1)).plausible
    assert not check_clock(dt.datetime(2099, 5, 1, tzinfo=dt.UTC)).plausible


def test_going_back_behind_the_last_good_time_is_not() -> None:
    last = NOW + BACKWARDS_SLACK + dt.timedelta(minutes=1)
    assert not check_clock(NOW, last_good=last).plausible
    assert check_clock(NOW, last_good=NOW + BACKWARDS_SLACK).plausible  # slack for a fix


def test_disagreeing_with_the_server_is_not_even_when_otherwise_sane() -> None:
    off = SERVER_TOLERANCE + dt.timedelta(seconds=1)
    verdict = check_clock(NOW, server_offset=-off)
    assert not verdict.plausible and "服务器" in verdict.reason
    assert not check_clock(NOW, server_offset=dt.timedelta(days=365 * 3)).plausible


def test_the_guard_remembers_the_last_good_time_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    guard = ClockGuard(path)
    assert guard.verdict(NOW).plausible
    assert json.loads(path.read_text())["last_good"].startswith("2026-12-02T09:00")
    again = ClockGuard(path)  # a reboot with the clock a year back
    assert again.last_good == NOW
    assert not again.verdict(NOW - dt.timedelta(days=365)).plausible
    again.note_server_time(NOW + dt.timedelta(hours=1), NOW)
    assert not again.verdict(NOW).plausible  # an hour off the server
    again.note_server_time(NOW, NOW)
    assert again.verdict(NOW).plausible


def test_a_corrupt_memory_file_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "clock.json"
    path.write_text("{not json")
    assert ClockGuard(path).last_good is None
    path.write_text(json.dumps({"last_good": "2026-12-02T09:00"}))  # no zone: not trusted
    assert ClockGuard(path).last_good is None
