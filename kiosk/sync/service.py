"""Keeping a kiosk's content fresh in the background: event long-poll, ETag poll, heartbeat.

:class:`ContentSync` runs two background loops (:mod:`kiosk.sync.loop`) and never blocks
its caller:

* the **content** loop (thread ``sync-content``) checks ``GET /kiosk/content`` (with
  If-None-Match) at start, on request (an event, :meth:`ContentSync.refresh_now`) and
  every ``poll_interval`` as a fallback; it applies new snapshots through the
  :class:`ContentStore` and sends the heartbeat every ``heartbeat_interval``;
* the **events** loop (``sync-events``, :class:`kiosk.sync.events.EventFollower`)
  long-polls ``GET /kiosk/events`` and hands every event on; a ``content`` or
  ``staff_status`` event wakes the content loop at once.

Both back off with full jitter while the server is away. Callbacks run on these threads:
a Kivy app must hop to its main thread (``Clock.schedule_once``) before touching widgets.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from kiosk.core import clock as wall_clock
from kiosk.core.content import Snapshot
from kiosk.core.values import printable
from kiosk.core.wire import EventPublic, Heartbeat
from kiosk.sync.backoff import Backoff
from kiosk.sync.client import HallClient
from kiosk.sync.cursor import EventCursor
from kiosk.sync.errors import ContentRejected, MediaRejected, RequestRejected, SyncError
from kiosk.sync.events import EventFollower
from kiosk.sync.loop import BackgroundLoop
from kiosk.sync.status import SyncStatus
from kiosk.sync.store import ContentStore

__all__ = ["ContentSync", "SyncStatus"]

log = logging.getLogger(__name__)

_T = TypeVar("_T")

#: Seconds before each re-check while the server answers an older version than an event
#: announced (a server process whose cache still lags); then the regular poll takes over.
LAGGING_RECHECKS = (0.2, 0.4, 0.8, 1.6, 3.2, 6.4)


class ContentSync:
    """Keeps ``store`` in step with the hall server behind ``client``.

    ``on_content(snapshot)`` is called after a new snapshot became current (not for the
    one already cached at start: show ``store.current()`` yourself at once).
    ``on_event(event)`` gets every event, at least once (repeats are possible after a
    restart). ``on_status(status)`` gets each changed :class:`SyncStatus`.
    """

    def __init__(
        self,
        *,
        client: HallClient,
        store: ContentStore,
        on_content: Callable[[Snapshot], None],
        on_event: Callable[[EventPublic], None],
        on_status: Callable[[SyncStatus], None],
        app_version: str,
        poll_interval: float = 30.0,
        heartbeat_interval: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        long_poll_wait: float = 25.0,
        outbox_backlog: Callable[[], int] | None = None,
        backoff: Callable[[], Backoff] = Backoff,
        screen_state: Callable[[], tuple[str, dt.datetime] | None] | None = None,
    ) -> None:
        self._screen_state = screen_state
        self._client = client
        self._store = store
        self._on_content = on_content
        self._on_status = on_status
        self._app_version = app_version
        self._poll_interval = poll_interval
        self._heartbeat_interval = heartbeat_interval
        self._clock = clock
        self._outbox_backlog = outbox_backlog
        self._refresh_lock = threading.Lock()
        self._refresh_pending = False
        self._started_at: float | None = None
        self._content = BackgroundLoop(
            "sync-content", self._content_round, interrupt=client.interrupt
        )
        self._events = EventFollower(
            client,
            EventCursor(store.root / "events.json", server=client.base_url),
            on_event=on_event,
            on_reachable=self._events_reached,
            on_content_changed=self._content_announced,
            on_restart=self._events_restarted,
            long_poll_wait=long_poll_wait,
            clock=clock,
            backoff=backoff,
        )
        # The content loop's schedule (its thread only).
        self._content_backoff = backoff()
        self._next_check = 0.0
        self._next_heartbeat = 0.0
        self._rechecks = 0  # re-checks so far for the version in ``_lagging_for``
        self._lagging_for = 0

        self._state_lock = threading.Lock()  # guards the fields below; never held in callbacks
        self._publish_lock = threading.Lock()  # orders on_status deliveries
        self._content_reachable = False
        self._events_reachable = False
        self._content_error: tuple[float, str] | None = None
        self._events_error: tuple[float, str] | None = None
        self._last_sync: dt.datetime | None = store.applied_at
        snap = store.current()
        self._content_version: int | None = snap.version if snap else None
        #: The newest version a content/staff-status event announced (0: none yet).
        self._announced = 0
        self._status = SyncStatus(
            online=False,
            last_sync=self._last_sync,
            last_error=store.last_error,
            content_version=snap.version if snap else None,
            server_url=client.base_url,
            outbox_backlog=self._backlog(),
        )

    # -- public ----------------------------------------------------------------------

    @property
    def status(self) -> SyncStatus:
        return self._status  # replaced whole, never mutated: no lock needed to read

    @property
    def _stopping(self) -> bool:
        return self._content.stopping

    def start(self) -> None:
        """Start the background threads; returns at once."""
        with self._refresh_lock:
            if self._started_at is not None:
                raise RuntimeError("ContentSync already started")
            self._started_at = self._clock()
            self._refresh_pending = True
            self._next_check = self._next_heartbeat = self._started_at
        self._content.start()
        self._events.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop both threads, cutting off a long-poll in flight; waits up to ``timeout``."""
        self._content.request_stop()
        self._events.loop.request_stop()
        deadline = time.monotonic() + timeout
        self._content.stop(timeout)
        self._events.loop.stop(max(0.0, deadline - time.monotonic()))

    def refresh_now(self) -> None:
        """Check the server for new content as soon as possible (from any thread)."""
        with self._refresh_lock:
            self._refresh_pending = True
        self._content.wake()

    # -- content loop --------------------------------------------------------------------

    def _content_round(self) -> float:
        """Check content when due, send the heartbeat when due; returns the wait."""
        with self._refresh_lock:
            due = self._refresh_pending or self._clock() >= self._next_check
            self._refresh_pending = False
        if due:
            if self._check_content():
                self._content_backoff.reset()
                self._next_check = self._clock() + self._poll_interval
                self._schedule_recheck()
            else:
                self._next_check = self._clock() + self._content_backoff.next_delay()
        if self._stopping:
            return 0.0
        if self._clock() >= self._next_heartbeat:
            self._send_heartbeat()
            self._next_heartbeat = self._clock() + self._heartbeat_interval
        return min(self._next_check, self._next_heartbeat) - self._clock()

    def _schedule_recheck(self) -> None:
        """After a good check: sooner again while the server lags behind an event."""
        behind = self._announced_but_not_shown()
        if behind != self._lagging_for:
            self._lagging_for, self._rechecks = behind, 0
        if behind and self._rechecks < len(LAGGING_RECHECKS):
            # Another server process may not have seen the publication yet.
            self._next_check = self._clock() + LAGGING_RECHECKS[self._rechecks]
            self._rechecks += 1
        elif behind and self._rechecks == len(LAGGING_RECHECKS):
            self._rechecks += 1  # say it once; the regular poll keeps trying
            log.warning(
                "server still answers version %s after an event announced %d",
                self._content_version,
                behind,
            )

    def _check_content(self) -> bool:
        """One content check; True when the server's content is (now) what we show."""
        try:
            old = self._store.current()
            answer = self._client.get_content(self._store.etag if old else None)
            snap = old
            if answer.raw is not None:
                snap = self._store.apply(answer.raw, self._client.get_media, etag=answer.etag)
        except (ContentRejected, MediaRejected) as exc:
            # The server answered, but with content we refuse: it is there, the data is bad.
            self._content_failed(exc, reachable=True)
            return False
        except RequestRejected as exc:
            # 404 no_content: the hall has published nothing yet; the server itself is fine.
            self._content_failed(exc, reachable=exc.code == "no_content")
            return False
        except SyncError as exc:
            self._content_failed(exc, reachable=False)
            return False
        except Exception as exc:  # a bug must not kill the thread and freeze the kiosk
            log.exception("unexpected error while checking content")
            self._content_failed(exc, reachable=False)
            return False
        with self._state_lock:
            self._content_reachable = True
            self._content_error = None
            self._last_sync = wall_clock.now()
            if snap is not None:
                self._content_version = snap.version
        if snap is not None and snap is not old and not self._stopping:
            self._call("on_content", self._on_content, snap)
        self._publish()
        return True

    def _announced_but_not_shown(self) -> int:
        """The version an event announced, if newer than what we show; else 0."""
        with self._state_lock:
            shown = self._content_version or 0
            return self._announced if self._announced > shown else 0

    def _content_failed(self, exc: BaseException, *, reachable: bool) -> None:
        message = str(exc) or exc.__class__.__name__
        with self._state_lock:
            repeated = self._content_error is not None and self._content_error[1] == message
            self._content_reachable = reachable
            self._content_error = (self._clock(), message)
        (log.debug if repeated else log.warning)("content check failed: %s", message)
        self._publish()

    def _send_heartbeat(self) -> None:
        try:
            status = self._publish()
            started = self._started_at if self._started_at is not None else self._clock()
            screen = self._screen_state() if self._screen_state is not None else None
            heartbeat = Heartbeat(
                app_version=printable(self._app_version[:40]),
                content_version=status.content_version,
                outbox_backlog=status.outbox_backlog,
                last_sync=status.last_sync,
                last_error=printable(status.last_error[:500], multiline=True)
                if status.last_error
                else None,
                uptime_s=max(0.0, self._clock() - started),
                screen_fingerprint=screen[0] if screen else None,
                screen_changed_at=screen[1] if screen else None,
            )
            self._client.heartbeat(heartbeat)
        except SyncError as exc:
            log.info("heartbeat not delivered: %s", exc)
        except Exception:  # a bug here must not stop content updates
            log.exception("heartbeat failed")

    # -- what the events loop tells ----------------------------------------------------

    def _content_announced(self, version: int) -> None:
        """A content or staff-status event: check now; remember the version it announced."""
        if version:
            with self._state_lock:
                self._announced = max(self._announced, version)
        self.refresh_now()

    def _events_restarted(self) -> None:
        with self._state_lock:
            self._announced = 0  # versions of the old database mean nothing now
        self.refresh_now()

    def _events_reached(self, error: BaseException | None) -> None:
        if error is None:
            with self._state_lock:
                self._events_reachable = True
                self._events_error = None
            self._publish()
            return
        message = str(error) or error.__class__.__name__
        with self._state_lock:
            repeated = self._events_error is not None and self._events_error[1] == message
            self._events_reachable = False
            self._events_error = (self._clock(), message)
        (log.debug if repeated else log.warning)("event long-poll failed: %s", message)
        self._publish()

    # -- shared ----------------------------------------------------------------------

    def _backlog(self) -> int:
        if self._outbox_backlog is None:
            return 0
        try:
            return max(0, int(self._outbox_backlog()))
        except Exception:
            log.exception("outbox backlog unavailable")
            return 0

    def _publish(self) -> SyncStatus:
        """Recompute the status; tell ``on_status`` if it changed. Returns it.

        Callbacks run under ``_publish_lock`` only (so statuses arrive in order), never
        under ``_state_lock``: a callback may read :attr:`status` or wait on the caller.
        """
        backlog = self._backlog()
        with self._publish_lock:
            with self._state_lock:
                errors = [e for e in (self._content_error, self._events_error) if e]
                status = replace(
                    self._status,
                    online=self._content_reachable and self._events_reachable,
                    last_sync=self._last_sync,
                    last_error=max(errors)[1] if errors else None,
                    content_version=self._content_version,
                    outbox_backlog=backlog,
                )
                if status == self._status:
                    return status
                self._status = status
            if not self._stopping:
                self._call("on_status", self._on_status, status)
            return status

    def _call(self, name: str, callback: Callable[[_T], None], arg: _T) -> None:
        try:
            callback(arg)
        except Exception:
            log.exception("%s callback failed", name)
