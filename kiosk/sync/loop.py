"""One way to run the kiosk's background work: :class:`BackgroundLoop`.

A named daemon thread calls a *round* (a callable) again and again. The round returns
how many seconds to wait before the next one (its interval, or its backoff after a
failure); :meth:`BackgroundLoop.wake` cuts the wait short, :meth:`BackgroundLoop.stop`
ends the thread, cutting off a request in flight through ``interrupt``. A round that
raises is logged and retried after a full-jitter backoff (:mod:`kiosk.sync.backoff`),
so a bug never ends the thread silently.

Used by the content sync (content and events), the ticket courier and the hall
display's waiting counts. Imports no kivy.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from kiosk.sync.backoff import Backoff

__all__ = ["BackgroundLoop"]

log = logging.getLogger(__name__)


class BackgroundLoop:
    """Runs ``round()`` on the daemon thread ``name`` until stopped.

    ``round()`` returns the seconds to wait before the next round (0: at once).
    ``interrupt()``, if given, cuts off whatever a round is blocked on (a long-poll);
    :meth:`stop` calls it until the thread has ended.
    """

    def __init__(
        self,
        name: str,
        round: Callable[[], float],
        *,
        interrupt: Callable[[], None] | None = None,
        backoff: Callable[[], Backoff] = Backoff,
    ) -> None:
        self.name = name
        self._round = round
        self._interrupt = interrupt
        self._backoff = backoff()
        self._cond = threading.Condition()
        self._woken = False
        self._stopping = False
        self._thread: threading.Thread | None = None

    @property
    def stopping(self) -> bool:
        """True once :meth:`stop` was called: a round should end soon."""
        return self._stopping

    def start(self) -> None:
        """Start the thread (the first round runs at once); returns at once."""
        with self._cond:
            if self._thread is not None:
                raise RuntimeError(f"{self.name} already started")
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Start the next round now (from any thread)."""
        with self._cond:
            self._woken = True
            self._cond.notify_all()

    def request_stop(self) -> None:
        """Ask the thread to end after its round, without waiting (see :meth:`stop`)."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()

    def stop(self, timeout: float = 5.0) -> None:
        """End the thread, waiting up to ``timeout`` seconds; a round in flight is
        interrupted (again and again: it may be just about to open a new request)."""
        self.request_stop()
        thread = self._thread
        if thread is None:
            return
        deadline = time.monotonic() + timeout
        while thread.is_alive() and time.monotonic() < deadline:
            if self._interrupt is not None:
                self._interrupt()
            thread.join(0.05)
        if thread.is_alive():
            log.warning("%s did not stop within %.1f s", self.name, timeout)

    def _run(self) -> None:
        while not self._stopping:
            with self._cond:
                self._woken = False
            try:
                wait = self._round()
                self._backoff.reset()
            except Exception:  # a bug (or our own disk) must not end the thread
                log.exception("%s: round failed", self.name)
                wait = self._backoff.next_delay()
            with self._cond:
                if not self._stopping and not self._woken and wait > 0:
                    self._cond.wait(wait)
