"""The one background loop: a named daemon thread, woken early, stopped (interrupting a
blocked round), and still running after a round raised."""

from __future__ import annotations

import threading
import time

import pytest

from kiosk.sync.backoff import Backoff
from kiosk.sync.loop import BackgroundLoop


def test_rounds_run_on_a_named_daemon_thread_and_wake_cuts_the_wait() -> None:
    rounds: list[str] = []
    ran = threading.Event()

    def one_round() -> float:
        rounds.append(threading.current_thread().name)
        ran.set()
        return 60.0  # without wake() the second round would be a minute away

    loop = BackgroundLoop("test-loop", one_round)
    loop.start()
    try:
        assert ran.wait(5)
        ran.clear()
        loop.wake()
        assert ran.wait(5), "wake() did not start the next round"
        assert rounds == ["test-loop", "test-loop"]
        assert any(t.name == "test-loop" and t.daemon for t in threading.enumerate())
    finally:
        loop.stop(timeout=5)
    assert not any(t.name == "test-loop" for t in threading.enumerate())


def test_stop_interrupts_a_blocked_round() -> None:
    blocked = threading.Event()
    release = threading.Event()

    def one_round() -> float:
        blocked.set()
        release.wait(30)  # a long-poll in flight
        return 0.0

    loop = BackgroundLoop("test-blocked", one_round, interrupt=release.set)
    loop.start()
    assert blocked.wait(5)
    started = time.monotonic()
    loop.stop(timeout=5)
    assert time.monotonic() - started < 2.0
    assert loop.stopping
    assert not any(t.name == "test-blocked" for t in threading.enumerate())


def test_a_round_that_raises_is_retried_after_a_backoff() -> None:
    calls: list[float] = []
    again = threading.Event()

    def one_round() -> float:
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise RuntimeError("a bug in the round")
        again.set()
        return 60.0

    loop = BackgroundLoop(
        "test-raises", one_round, backoff=lambda: Backoff(base=0.05, cap=0.1, floor=0.02)
    )
    loop.start()
    try:
        assert again.wait(5), "the loop ended after a round raised"
        assert len(calls) == 2 and calls[1] - calls[0] >= 0.02
    finally:
        loop.stop(timeout=5)


def test_start_twice_is_refused() -> None:
    loop = BackgroundLoop("test-twice", lambda: 60.0)
    loop.start()
    try:
        with pytest.raises(RuntimeError):
            loop.start()
    finally:
        loop.stop(timeout=5)
