"""The idle rule on its own, with a hand-driven clock."""

from __future__ import annotations

from kiosk.idle import IdleState, IdleTimer


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_active_then_warning_then_expired_and_a_touch_starts_over() -> None:
    clock = FakeClock()
    idle = IdleTimer(90, clock=clock)
    assert idle.warn_seconds == 15
    assert idle.state() is IdleState.ACTIVE
    clock.t += 74.9
    assert idle.state() is IdleState.ACTIVE
    clock.t += 0.2
    assert idle.state() is IdleState.WARNING
    assert 14 < idle.seconds_left() < 15
    clock.t += 15
    assert idle.state() is IdleState.EXPIRED
    assert idle.seconds_left() == 0
    idle.touched()
    assert idle.state() is IdleState.ACTIVE
    assert idle.quiet_for() == 0


def test_short_idle_times_warn_for_a_third_of_the_time() -> None:
    clock = FakeClock()
    idle = IdleTimer(6, clock=clock)
    assert idle.warn_seconds == 2
    clock.t += 4.5
    assert idle.state() is IdleState.WARNING
