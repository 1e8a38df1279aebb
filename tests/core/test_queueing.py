"""Queue order, people ahead and the wait estimate."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.core.queueing import (
    DEFAULT_SERVICE_MINUTES,
    RECENT_WINDOW,
    WaitEstimator,
    WaitingTicket,
    estimate_wait_minutes,
    order_queue,
    people_ahead,
    queue_order_key,
)

# A loaded 2-core CI machine must not turn slow examples into failures.
relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def ticket(number: str, order: int, *, priority: bool = False, queue: str = "A") -> WaitingTicket:
    return WaitingTicket(number=number, queue=queue, priority=priority, order=order)


def test_queue_order_key_puts_priority_first_then_issue_order() -> None:
    keys = [(False, 1), (True, 5), (False, 2), (True, 3)]
    ordered = sorted(keys, key=lambda k: queue_order_key(*k))
    assert ordered == [(True, 3), (True, 5), (False, 1), (False, 2)]


def test_order_queue() -> None:
    a1, a2, a3 = ticket("A001", 1), ticket("A002", 2), ticket("A003", 3)
    p4 = ticket("A004", 4, priority=True)
    p5 = ticket("A005", 5, priority=True)
    assert order_queue([a3, p5, a1, p4, a2]) == [p4, p5, a1, a2, a3]
    assert order_queue([]) == []


def test_order_queue_breaks_ties_by_number() -> None:
    # Two kiosks' offline tickets can arrive with the same order; the number decides.
    x, y = ticket("A1-001", 7), ticket("A2-001", 7)
    assert order_queue([y, x]) == [x, y]


@pytest.mark.parametrize(
    ("number", "expected"),
    [("A001", 2), ("A002", 3), ("A003", 4), ("A004", 0), ("A005", 1)],
)
def test_people_ahead(number: str, expected: int) -> None:
    waiting = [
        ticket("A001", 1),
        ticket("A002", 2),
        ticket("A003", 3),
        ticket("A004", 4, priority=True),
        ticket("A005", 5, priority=True),
        ticket("B001", 1, queue="B"),  # another queue never counts
        ticket("B002", 2, queue="B", priority=True),
    ]
    me = next(t for t in waiting if t.number == number)
    assert people_ahead(me, waiting) == expected


def test_people_ahead_of_a_ticket_not_in_the_list() -> None:
    waiting = [ticket("A001", 1), ticket("A002", 2)]
    assert people_ahead(ticket("A003", 3), waiting) == 2
    assert people_ahead(ticket("A003", 3, priority=True), waiting) == 0
    assert people_ahead(ticket("A001", 1), []) == 0


waiting_lists = st.lists(
    st.builds(
        WaitingTicket,
        number=st.from_regex(r"[AB][0-9]{3}", fullmatch=True),
        queue=st.sampled_from("AB"),
        priority=st.booleans(),
        order=st.integers(min_value=1, max_value=50),
    ),
    max_size=30,
    unique_by=lambda t: t.number,
)


@relaxed
@given(waiting_lists)
def test_people_ahead_is_the_position_in_the_queue_order(waiting: list[WaitingTicket]) -> None:
    for queue in "AB":
        mine = order_queue(t for t in waiting if t.queue == queue)
        for position, t in enumerate(mine):
            assert people_ahead(t, waiting) == position


def test_estimator_uses_the_default_before_any_duration() -> None:
    est = WaitEstimator(default_minutes=4)
    assert est.minutes_per_person == 4
    assert est.estimate_minutes(0) == 0
    assert est.estimate_minutes(1) == 4
    assert est.estimate_minutes(3) == 12
    assert est.estimate_minutes(3, open_windows=2) == 6


def test_estimator_defaults() -> None:
    est = WaitEstimator()
    assert est.window == RECENT_WINDOW == 20
    assert est.estimate_minutes(2) == math.ceil(2 * DEFAULT_SERVICE_MINUTES)


@pytest.mark.parametrize(
    ("durations", "ahead", "windows", "expected"),
    [
        ([120, 240], 3, 1, 9),  # mean 3 min
        ([120, 240], 3, 2, 5),  # 4.5 -> 5
        ([90], 1, 1, 2),  # 1.5 -> 2
        ([90], 2, 1, 3),
        ([60, 60, 60], 5, 3, 2),  # 1.67 -> 2
        ([6], 10, 1, 1),  # 0.1 min each: exactly 1, not 2 (float noise)
        ([18], 10, 1, 3),  # 0.3 min each
        ([30], 1, 1, 1),  # half a minute shows as one
        ([0, 0], 4, 1, 0),  # instant service
        ([600], 0, 1, 0),  # nobody ahead
        ([600], 1, 0, 10),  # no window open: counts as one
    ],
)
def test_estimate(durations: list[float], ahead: int, windows: int, expected: int) -> None:
    est = WaitEstimator(default_minutes=5)
    for seconds in durations:
        est.record(seconds)
    assert est.estimate_minutes(ahead, open_windows=windows) == expected
    assert estimate_wait_minutes(ahead, durations, 5, windows) == expected


def test_estimator_keeps_only_the_last_twenty() -> None:
    est = WaitEstimator(default_minutes=5)
    for _ in range(20):
        est.record(60)
    assert est.estimate_minutes(1) == 1
    for _ in range(19):
        est.record(600)
    # 19 × 10 min + 1 × 1 min over 20
    assert est.minutes_per_person == pytest.approx(191 / 20)
    est.record(600)
    assert est.estimate_minutes(1) == 10
    assert len(est.recent_seconds) == 20


def test_estimator_window_is_configurable_and_clear_forgets() -> None:
    est = WaitEstimator(default_minutes=7, window=2)
    for seconds in (6000, 60, 120):
        est.record(seconds)
    assert est.recent_seconds == (60.0, 120.0)
    assert est.estimate_minutes(2) == 3
    est.clear()
    assert est.estimate_minutes(2) == 14


def test_estimate_wait_minutes_uses_the_latest_durations() -> None:
    old_then_new = [6000.0] * 5 + [60.0] * 20
    assert estimate_wait_minutes(3, old_then_new, 5, 1) == 3
    assert estimate_wait_minutes(3, old_then_new, 5, 1, window=25) == math.ceil(
        3 * (5 * 100 + 20 * 1) / 25
    )
    assert estimate_wait_minutes(3, [], 5, 1) == 15
    assert estimate_wait_minutes(3, (), 2.5, 2) == 4  # 3.75 -> 4


@pytest.mark.parametrize("seconds", [-1, float("nan"), float("inf")])
def test_record_refuses_bad_durations(seconds: float) -> None:
    est = WaitEstimator()
    with pytest.raises(ValueError, match="办理时长"):
        est.record(seconds)
    with pytest.raises(ValueError, match="办理时长"):
        estimate_wait_minutes(1, [seconds], 5, 1)
    assert est.recent_seconds == ()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"people_ahead": -1},
        {"default_minutes": -1},
        {"default_minutes": float("nan")},
        {"window": 0},
    ],
)
def test_estimate_refuses_bad_arguments(kwargs: dict[str, float]) -> None:
    args = {"people_ahead": 1, "recent_service_seconds": [60], "default_minutes": 5.0}
    args.update(kwargs)
    with pytest.raises(ValueError):
        estimate_wait_minutes(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs", [{"default_minutes": -2}, {"window": 0}])
def test_estimator_refuses_bad_settings(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        WaitEstimator(**kwargs)  # type: ignore[arg-type]


@relaxed
@given(
    st.integers(min_value=0, max_value=200),
    st.lists(st.floats(min_value=0, max_value=7200), max_size=40),
    st.integers(min_value=1, max_value=10),
)
def test_estimate_grows_with_people_ahead(ahead: int, durations: list[float], windows: int) -> None:
    now = estimate_wait_minutes(ahead, durations, 5, windows)
    later = estimate_wait_minutes(ahead + 1, durations, 5, windows)
    more_windows = estimate_wait_minutes(ahead, durations, 5, windows + 1)
    assert 0 <= more_windows <= now <= later
    if ahead == 0:
        assert now == 0
