"""How long to wait before trying the server again: exponential backoff, full jitter.

Pure and deterministic given ``rand``, so tests pin the schedule exactly. Full jitter
(a uniform draw between a small floor and the exponential ceiling) keeps a hall's
kiosks from hammering a server that has just come back all at the same instant.
"""

from __future__ import annotations

import random
from collections.abc import Callable

__all__ = ["Backoff", "backoff_ceiling", "backoff_delay"]

# Our own generator: background retries never touch the global ``random`` state that
# other code (and hypothesis, in the test suite) may rely on.
_JITTER = random.Random()


def backoff_ceiling(attempt: int, *, base: float = 1.0, cap: float = 60.0) -> float:
    """The upper bound of the wait after ``attempt`` consecutive failures (0-based).

    ``base`` doubled ``attempt`` times, never above ``cap``: 1, 2, 4 … 32, 60, 60 …
    """
    if attempt < 0:
        raise ValueError("attempt must be >= 0")
    if base <= 0 or cap < base:
        raise ValueError("need 0 < base <= cap")
    # 2**attempt overflows float for huge attempts; past ~64 doublings we are at the cap.
    return min(cap, base * 2.0 ** min(attempt, 64))


def backoff_delay(
    attempt: int,
    *,
    base: float = 1.0,
    cap: float = 60.0,
    floor: float = 0.1,
    rand: Callable[[], float] = _JITTER.random,
) -> float:
    """Seconds to wait after ``attempt`` consecutive failures (0-based), full jitter.

    A uniform draw from ``[floor, ceiling]`` where ceiling is :func:`backoff_ceiling`;
    ``rand`` returns a float in [0, 1). The floor keeps a retry loop from spinning.
    """
    ceiling = backoff_ceiling(attempt, base=base, cap=cap)
    low = min(floor, ceiling)
    return low + (ceiling - low) * rand()


class Backoff:
    """Counts consecutive failures and hands out the next wait; ``reset`` on success."""

    def __init__(
        self,
        *,
        base: float = 1.0,
        cap: float = 60.0,
        floor: float = 0.1,
        rand: Callable[[], float] = _JITTER.random,
    ) -> None:
        backoff_ceiling(0, base=base, cap=cap)  # validates the parameters early
        self._base = base
        self._cap = cap
        self._floor = floor
        self._rand = rand
        self.failures = 0

    def next_delay(self) -> float:
        """Record one more failure and return how long to wait before the next try."""
        delay = backoff_delay(
            self.failures, base=self._base, cap=self._cap, floor=self._floor, rand=self._rand
        )
        self.failures += 1
        return delay

    def reset(self) -> None:
        self.failures = 0
