"""Who is served next, how many people are ahead, and how long the wait will be.

Order within a queue: priority tickets (绿色通道: the very old, disabled, pregnant,
veterans) first, then by issue order. The wait estimate is the rolling mean of today's
recent service durations (call to done) times the people ahead, shared between the open
windows, rounded up to whole minutes.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "DEFAULT_SERVICE_MINUTES",
    "RECENT_WINDOW",
    "WaitEstimator",
    "WaitingTicket",
    "ceil_minutes",
    "estimate_wait_minutes",
    "order_queue",
    "people_ahead",
    "queue_order_key",
]

#: How many of the most recent service durations the mean looks at.
RECENT_WINDOW = 20
#: The assumed minutes per resident before any ticket has been completed today.
DEFAULT_SERVICE_MINUTES = 5.0


def queue_order_key(priority: bool, issued_seq: int) -> tuple[int, int]:
    """Sort key: priority tickets first, then in the order they were issued."""
    return (0 if priority else 1, issued_seq)


@dataclass(frozen=True, slots=True)
class WaitingTicket:
    """A waiting ticket as the queue sees it.

    ``order`` is its issue order within the queue and day (the server's arrival
    sequence); ``number`` ("A012") identifies it and breaks ties.
    """

    number: str
    queue: str
    priority: bool
    order: int

    @property
    def sort_key(self) -> tuple[int, int, str]:
        return (*queue_order_key(self.priority, self.order), self.number)


def order_queue(tickets: Iterable[WaitingTicket]) -> list[WaitingTicket]:
    """The tickets in the order they will be called (priority first, then issue order)."""
    return sorted(tickets, key=lambda t: t.sort_key)


def people_ahead(ticket: WaitingTicket, waiting: Iterable[WaitingTicket]) -> int:
    """How many of ``waiting`` (waiting tickets) of the same queue will be called first.

    The ticket itself, if present in ``waiting``, is not counted; tickets of other queues
    never are.
    """
    key = ticket.sort_key
    return sum(
        1
        for other in waiting
        if other.queue == ticket.queue and other.number != ticket.number and other.sort_key < key
    )


def _check_service_seconds(seconds: float) -> float:
    value = float(seconds)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"办理时长应为非负的秒数，而不是 {seconds!r}")
    return value


def ceil_minutes(minutes: float) -> int:
    """A wait shown to a resident: whole minutes, rounded up, never below 0 — the one
    rounding of the server's estimate and the kiosk's offline one."""
    # Guard against float noise: 3 × 0.1 h must not round 18.000000000000004 up to 19.
    return max(0, math.ceil(round(minutes, 6)))


def estimate_wait_minutes(
    people_ahead: int,
    recent_service_seconds: Sequence[float],
    default_minutes: float = DEFAULT_SERVICE_MINUTES,
    windows: int = 1,
    *,
    window: int = RECENT_WINDOW,
) -> int:
    """Estimated minutes until a ticket with ``people_ahead`` is called.

    Uses the mean of the last ``window`` entries of ``recent_service_seconds`` (oldest
    first), or ``default_minutes`` per person while there are none. ``windows`` is the
    number of open service windows; fewer than one is treated as one, so a resident still
    sees a figure while the windows are briefly unstaffed. 0 when nobody is ahead.
    """
    if isinstance(people_ahead, bool) or people_ahead < 0:
        raise ValueError(f"前面人数不能为负数：{people_ahead!r}")
    if not math.isfinite(default_minutes) or default_minutes < 0:
        raise ValueError(f"默认办理时长应为非负数：{default_minutes!r}")
    if window < 1:
        raise ValueError(f"统计窗口至少为 1：{window!r}")
    if people_ahead == 0:
        return 0
    recent = [_check_service_seconds(s) for s in list(recent_service_seconds)[-window:]]
    per_person = sum(recent) / len(recent) / 60 if recent else default_minutes
    return ceil_minutes(people_ahead * per_person / max(1, windows))


class WaitEstimator:
    """Rolling wait estimate fed with service durations as tickets are completed.

    >>> est = WaitEstimator(default_minutes=5)
    >>> est.estimate_minutes(3)
    15
    >>> est.record(120); est.record(240)
    >>> est.estimate_minutes(3, open_windows=2)
    5
    """

    def __init__(
        self, default_minutes: float = DEFAULT_SERVICE_MINUTES, window: int = RECENT_WINDOW
    ) -> None:
        if not math.isfinite(default_minutes) or default_minutes < 0:
            raise ValueError(f"默认办理时长应为非负数：{default_minutes!r}")
        if window < 1:
            raise ValueError(f"统计窗口至少为 1：{window!r}")
        self.default_minutes = float(default_minutes)
        self.window = window
        self._recent: deque[float] = deque(maxlen=window)

    def record(self, seconds: float) -> None:
        """Add one completed ticket's service duration (call to done), in seconds."""
        self._recent.append(_check_service_seconds(seconds))

    def clear(self) -> None:
        """Forget the durations (a new service day starts)."""
        self._recent.clear()

    @property
    def recent_seconds(self) -> tuple[float, ...]:
        return tuple(self._recent)

    @property
    def minutes_per_person(self) -> float:
        """The current mean service time in minutes (the default while there is none)."""
        if not self._recent:
            return self.default_minutes
        return sum(self._recent) / len(self._recent) / 60

    def estimate_minutes(self, people_ahead: int, open_windows: int = 1) -> int:
        """Minutes until called, rounded up; 0 when nobody is ahead."""
        return estimate_wait_minutes(
            people_ahead,
            self._recent,
            self.default_minutes,
            open_windows,
            window=self.window,
        )
