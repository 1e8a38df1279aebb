"""The hall display's waiting counts: ``GET /kiosk/queues`` now and then, and at once after
a call or a new ticket. A background thread; no kivy."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from kiosk.sync.client import HallClient
from kiosk.sync.errors import SyncError

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
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="display-waiting", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        self.client.interrupt()
        self._thread.join(timeout)
        self.client.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                info = self.client.queues()
            except SyncError as exc:
                log.debug("waiting counts: %s", exc)
            else:
                self.on_counts({q.queue: q.waiting for q in info.queues})
            self._wake.wait(self.interval)
