"""The hall's waiting counts for the call display: ``GET /kiosk/queues`` now and then, and
at once after a call or a new ticket (:meth:`WaitingCounts.wake`).

A :class:`~kiosk.sync.loop.BackgroundLoop`; the display only consumes the counts it
hands on. Imports no kivy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from kiosk.sync.client import HallClient
from kiosk.sync.errors import SyncError
from kiosk.sync.loop import BackgroundLoop

__all__ = ["WaitingCounts"]

log = logging.getLogger("kiosk.display")


class WaitingCounts:
    """Calls ``on_counts({queue: waiting})`` (from its thread) after each successful ask."""

    def __init__(
        self,
        client: HallClient,
        on_counts: Callable[[dict[str, int]], None],
        *,
        interval: float = 5.0,
    ) -> None:
        self.client = client
        self.on_counts = on_counts
        self.interval = interval
        self._loop = BackgroundLoop("display-waiting", self._round, interrupt=client.interrupt)

    def start(self) -> None:
        self._loop.start()

    def wake(self) -> None:
        self._loop.wake()

    def stop(self, timeout: float = 5.0) -> None:
        self._loop.stop(timeout)
        self.client.close()

    def _round(self) -> float:
        try:
            info = self.client.queues()
        except SyncError as exc:
            log.debug("waiting counts: %s", exc)
        else:
            self.on_counts({q.queue: q.waiting for q in info.queues})
        return self.interval
