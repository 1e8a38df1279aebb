"""When the kiosk has been left alone: the idle clock behind the warning and the reset.

Pure Python (no kivy) so the rule is tested on its own: after ``idle_seconds - warn_seconds``
without a touch the warning shows; after ``idle_seconds`` the kiosk goes home and forgets.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import Enum

__all__ = ["IdleState", "IdleTimer"]


class IdleState(Enum):
    ACTIVE = "active"
    WARNING = "warning"
    EXPIRED = "expired"


class IdleTimer:
    """Counts quiet seconds since the last touch."""

    def __init__(
        self,
        idle_seconds: float,
        *,
        warn_seconds: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.idle_seconds = float(idle_seconds)
        #: The warning shows this long before the reset: 15 s, or a third of short idle times.
        self.warn_seconds = (
            float(warn_seconds) if warn_seconds is not None else min(15.0, self.idle_seconds / 3)
        )
        self._clock = clock
        self._last = clock()

    def touched(self) -> None:
        """Someone touched the screen: start counting again."""
        self._last = self._clock()

    def quiet_for(self) -> float:
        """Seconds since the last touch."""
        return self._clock() - self._last

    def seconds_left(self) -> float:
        """Seconds until the reset (0 when due)."""
        return max(0.0, self.idle_seconds - self.quiet_for())

    def state(self) -> IdleState:
        quiet = self.quiet_for()
        if quiet >= self.idle_seconds:
            return IdleState.EXPIRED
        if quiet >= self.idle_seconds - self.warn_seconds:
            return IdleState.WARNING
        return IdleState.ACTIVE
