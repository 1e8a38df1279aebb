"""What the hall display shows and announces, one call at a time.

Calls arrive from the server's event stream, sometimes several at once (three windows
press "call next" together). The display shows each one flashing for ``hold`` seconds and
announces it; the next waits its turn, so calls never overlap. A recall is a new arrival
of the same number and is shown and announced again. Pure Python (no kivy, no clock of its
own): the board asks :meth:`CallSequence.next_due` with the time now.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

__all__ = ["Call", "CallSequence"]


@dataclass(frozen=True, slots=True)
class Call:
    number: str
    window: int | None
    recall: bool = False


class CallSequence:
    """Queued calls, the call flashing now, each window's current number, the last calls."""

    def __init__(self, *, hold: float = 4.0, keep: int = 6) -> None:
        self.hold = hold
        self.keep = keep
        self._queue: deque[Call] = deque()
        self.showing: Call | None = None
        self._until = 0.0
        self.windows: dict[int, str] = {}
        self.history: deque[Call] = deque(maxlen=keep)

    def arrive(self, call: Call) -> None:
        """A call from the server; shown in its turn."""
        self._queue.append(call)

    def finished(self, number: str, window: int | None) -> None:
        """The ticket ``number`` left ``window`` (done, no-show, transferred)."""
        if window is not None and self.windows.get(window) == number:
            del self.windows[window]

    @property
    def waiting(self) -> int:
        return len(self._queue)

    def next_due(self, now: float) -> Call | None:
        """The call to start flashing and announcing now, if its turn has come."""
        if self.showing is not None and now < self._until:
            return None
        self.showing = None
        if not self._queue:
            return None
        call = self._queue.popleft()
        self.showing = call
        self._until = now + self.hold
        if call.window is not None:
            self.windows[call.window] = call.number
        rest = [c for c in self.history if c.number != call.number]
        self.history = deque([call, *rest], maxlen=self.keep)
        return call
