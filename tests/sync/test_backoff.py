"""The retry schedule: doubling ceiling with a cap, full jitter inside it."""

from __future__ import annotations

import random

import pytest

from kiosk.sync.backoff import Backoff, backoff_ceiling, backoff_delay


def test_ceiling_doubles_from_base_up_to_the_cap() -> None:
    assert [backoff_ceiling(n) for n in range(9)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert backoff_ceiling(10_000) == 60  # no overflow after a very long outage
    assert backoff_ceiling(3, base=0.5, cap=3) == 3


def test_delay_spans_floor_to_ceiling() -> None:
    assert backoff_delay(5, rand=lambda: 0.0) == pytest.approx(0.1)
    assert backoff_delay(5, rand=lambda: 0.5) == pytest.approx(0.1 + (32 - 0.1) / 2)
    assert backoff_delay(5, rand=lambda: 0.999999) == pytest.approx(32, rel=1e-5)
    # a floor above the ceiling never makes the delay exceed the ceiling
    assert backoff_delay(0, base=0.05, floor=0.1, rand=lambda: 0.9) == pytest.approx(0.05)


def test_delays_are_jittered_and_grow() -> None:
    rng = random.Random(1234)
    samples = {n: [backoff_delay(n, rand=rng.random) for _ in range(200)] for n in range(8)}
    for n, values in samples.items():
        ceiling = backoff_ceiling(n)
        assert all(0.1 <= v <= ceiling for v in values)
        assert len({round(v, 6) for v in values}) > 150  # spread out, not one value
    means = [sum(v) / len(v) for v in samples.values()]
    assert means[0] < means[3] < means[6]
    assert means[7] == pytest.approx(30, rel=0.2)  # uniform over [0.1, 60]


def test_backoff_counts_failures_and_resets() -> None:
    backoff = Backoff(rand=lambda: 1.0)
    assert [backoff.next_delay() for _ in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert backoff.failures == 8
    backoff.reset()
    assert backoff.next_delay() == 1


@pytest.mark.parametrize(
    ("attempt", "base", "cap"), [(-1, 1.0, 60.0), (0, 0.0, 60.0), (0, 2.0, 1.0)]
)
def test_nonsense_parameters_are_refused(attempt: int, base: float, cap: float) -> None:
    with pytest.raises(ValueError):
        backoff_ceiling(attempt, base=base, cap=cap)
