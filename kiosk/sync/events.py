"""Following the hall's event stream: ``GET /kiosk/events`` long-polled, every event handed
on at least once, the position kept on disk (:class:`~kiosk.sync.cursor.EventCursor`).

:class:`EventFollower` runs on a :class:`~kiosk.sync.loop.BackgroundLoop` named
``sync-events``. On first start it joins the stream at the server's newest sequence
number (the snapshot has the state); when the server's sequence goes backwards (a fresh
database) it follows the new one. Part of :class:`kiosk.sync.service.ContentSync`, which
hears from it through the callbacks below. Imports no kivy.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from kiosk.core.wire import EventPublic, EventType
from kiosk.sync.backoff import Backoff
from kiosk.sync.client import HallClient
from kiosk.sync.cursor import EventCursor
from kiosk.sync.errors import SyncError
from kiosk.sync.loop import BackgroundLoop

__all__ = ["CONTENT_EVENTS", "EventFollower"]

log = logging.getLogger("kiosk.sync.service")

#: Event types after which the hall's snapshot has changed on the server.
CONTENT_EVENTS = frozenset({EventType.CONTENT, EventType.STAFF_STATUS})


class EventFollower:
    """Long-polls ``client`` for events after the cursor in ``cursor``.

    ``on_event(event)`` gets each new event; ``on_reachable(error)`` is told after every
    answer (None) or failure (the exception); ``on_content_changed(version)`` after a
    page with a content or staff-status event (the newest version announced, or 0);
    ``on_restart()`` when the server's sequence went backwards (a fresh database: the
    versions announced before mean nothing now, and content may be anything).
    """

    def __init__(
        self,
        client: HallClient,
        cursor: EventCursor,
        *,
        on_event: Callable[[EventPublic], None],
        on_reachable: Callable[[BaseException | None], None],
        on_content_changed: Callable[[int], None],
        on_restart: Callable[[], None],
        long_poll_wait: float,
        clock: Callable[[], float] = time.monotonic,
        backoff: Callable[[], Backoff] = Backoff,
    ) -> None:
        self._client = client
        self._cursor = cursor
        self._on_event = on_event
        self._on_reachable = on_reachable
        self._on_content_changed = on_content_changed
        self._on_restart = on_restart
        self._long_poll_wait = long_poll_wait
        self._clock = clock
        self._backoff = backoff()
        self._loaded = False
        self._after: int | None = None
        self._reachable = False
        self.loop = BackgroundLoop("sync-events", self._round, interrupt=client.interrupt)

    def start(self) -> None:
        self.loop.start()

    def _round(self) -> float:
        """One long-poll; returns the seconds to wait before the next."""
        if not self._loaded:
            self._after, self._loaded = self._cursor.load(), True
        try:
            if self._after is None:
                self._after = self._catch_up()
                return 0.0
            # Until the server has answered, ask without waiting: that confirms it is
            # there (online) at once instead of after a whole long-poll.
            wait = self._long_poll_wait if self._reachable else 0.0
            started = self._clock()
            page = self._client.events(self._after, wait)
        except SyncError as exc:
            if self.loop.stopping:
                return 0.0
            self._failed(exc)
            return self._backoff.next_delay()
        except Exception as exc:  # a bug must not end live updates silently
            log.exception("unexpected error in the event long-poll")
            self._failed(exc)
            return self._backoff.next_delay()
        self._backoff.reset()
        self._reachable = True
        self._on_reachable(None)
        self._after = self._handle_page(self._after, page.events, page.last_seq)
        if not page.events and self._clock() - started < min(1.0, wait / 2):
            return 1.0  # a server that does not hold the long-poll: don't spin
        return 0.0

    def _failed(self, exc: BaseException) -> None:
        self._reachable = False
        self._on_reachable(exc)

    def _catch_up(self) -> int:
        """First start: skip the hall's history (the snapshot has the state) and return
        the server's newest sequence number."""
        seq = 0
        for _ in range(10_000):
            page = self._client.events(seq, 0)
            if not page.events or page.last_seq <= seq:
                seq = max(seq, page.last_seq)
                break
            seq = page.last_seq
        self._save_cursor(seq)
        log.info("event stream joined at seq %d", seq)
        return seq

    def _handle_page(self, after: int, events: list[EventPublic], last_seq: int) -> int:
        if last_seq < after and not events:
            # The server's sequence went backwards: it was rebuilt on a fresh database.
            log.warning("server event sequence restarted (%d < %d); following it", last_seq, after)
            self._save_cursor(last_seq)
            self._on_restart()
            return last_seq
        changed = False
        refresh = False
        announced = 0
        for event in events:
            if self.loop.stopping:
                return after  # not saved: redelivered next start (at-least-once)
            if event.seq <= after:
                continue  # a duplicate we have already handed on
            try:
                self._on_event(event)
            except Exception:
                log.exception("on_event callback failed")
            if event.type in CONTENT_EVENTS:
                refresh = True
                announced = max(announced, _announced_version(event))
            after = event.seq
            changed = True
        if last_seq > after:
            after = last_seq
            changed = True
        if refresh:
            self._on_content_changed(announced)
        if changed:
            self._save_cursor(after)
        return after

    def _save_cursor(self, seq: int) -> None:
        try:
            self._cursor.save(seq)
        except OSError as exc:  # a full disk must not end live updates; we replay at worst
            log.warning("event cursor not saved: %s", exc)


def _announced_version(event: EventPublic) -> int:
    """The snapshot version a publication event announced, or 0."""
    version = event.data.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > 0:
        return version
    return 0
