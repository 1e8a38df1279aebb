"""Where the kiosk app's content comes from: the hall server (via kiosk.sync) or the demo.

Both feeds hand the app a :class:`~kiosk.core.content.Snapshot` at once (the last good
one from the on-disk cache, or the demo hall), media files by SHA-256, and later updates
through callbacks. Callbacks may come from worker threads: the app marshals them onto
the Kivy main thread. This module imports no kivy.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from kiosk import __version__
from kiosk.core import clock
from kiosk.core.content import Snapshot
from kiosk.core.wire import EventPublic
from kiosk.settings import KioskSettings
from kiosk.sync.status import SyncStatus
from kiosk.sync.store import ContentStore

if TYPE_CHECKING:  # imported when started: the demo feed needs no HTTP client
    from kiosk.sync.service import ContentSync

__all__ = ["ContentFeed", "DemoFeed", "ServerFeed", "SyncStatus", "make_feed"]


class ContentFeed(Protocol):
    """Content for the app: a snapshot now, media by SHA-256, updates by callback."""

    def current(self) -> Snapshot | None: ...
    def media_path(self, sha256: str) -> Path | None:
        """A cached media file the kiosk may draw (checked), or None."""
        ...

    def status(self) -> SyncStatus: ...
    def start(
        self,
        *,
        on_content: Callable[[Snapshot], None],
        on_event: Callable[[EventPublic], None],
        on_status: Callable[[SyncStatus], None],
        outbox_backlog: Callable[[], int] | None = None,
    ) -> None:
        """Begin updates; ``outbox_backlog`` (tickets not yet delivered) goes into the
        status and the heartbeat."""
        ...

    def refresh_now(self) -> None: ...
    def stop(self) -> None: ...


class ServerFeed:
    """Content from the hall server, kept fresh by :class:`kiosk.sync.service.ContentSync`."""

    def __init__(self, settings: KioskSettings) -> None:
        self._settings = settings
        self.store = ContentStore(settings.data_dir / "content")
        self._sync: ContentSync | None = None
        #: What is drawn and since when (kiosk.care_hooks), for the heartbeat.
        self.screen_state: Callable[[], tuple[str, dt.datetime] | None] | None = None

    def current(self) -> Snapshot | None:
        return self.store.current()

    def media_path(self, sha256: str) -> Path | None:
        return self.store.drawable_path(sha256)

    def status(self) -> SyncStatus:
        if self._sync is not None:
            return self._with_store(self._sync.status)
        snap = self.store.current()
        return SyncStatus(
            online=False,
            last_sync=self.store.applied_at,
            last_error=self.store.last_error,
            content_version=snap.version if snap else None,
            server_url=self._settings.server_url,
            left_out=_left_out(self.store),
        )

    def start(
        self,
        *,
        on_content: Callable[[Snapshot], None],
        on_event: Callable[[EventPublic], None],
        on_status: Callable[[SyncStatus], None],
        outbox_backlog: Callable[[], int] | None = None,
    ) -> None:
        from kiosk.sync.client import HallClient
        from kiosk.sync.service import ContentSync

        client = HallClient(self._settings.server_url, self._settings.token)
        sync = ContentSync(
            client=client,
            store=self.store,
            on_content=on_content,
            on_event=on_event,
            on_status=lambda s: on_status(self._with_store(s)),
            app_version=__version__,
            outbox_backlog=outbox_backlog,
            screen_state=self.screen_state,
        )
        self._sync = sync
        sync.start()

    def _with_store(self, status: SyncStatus) -> SyncStatus:
        """The sync's status with what the cache left out of the content on show."""
        return replace(status, left_out=_left_out(self.store))

    def refresh_now(self) -> None:
        if self._sync is not None:
            self._sync.refresh_now()

    def stop(self) -> None:
        if self._sync is not None:
            self._sync.stop(timeout=5.0)


def _left_out(store: ContentStore) -> tuple[str, ...]:
    return tuple(str(item) for item in store.left_out)


class DemoFeed:
    """One of the seven demo halls, stored through the same cache the server feed uses."""

    def __init__(self, settings: KioskSettings, *, hall_id: str = "") -> None:
        from kiosk.core.demo import demo_media, load_demo_halls

        halls = load_demo_halls()
        wanted = hall_id or settings.demo_hall
        hall = next((h for h in halls if h.hall.id == wanted), halls[0])
        media = demo_media()
        self.store = ContentStore(settings.data_dir / "demo" / hall.hall.id)
        snapshot = {
            "hall_id": hall.hall.id,
            "version": 1,
            "published_at": clock.now().isoformat(),
            "content": json.loads(hall.model_dump_json()),
        }
        raw = json.dumps(snapshot, ensure_ascii=False).encode("utf-8")
        self._snapshot = self.store.apply(raw, lambda sha: media[sha][1])

    def current(self) -> Snapshot | None:
        return self._snapshot

    def media_path(self, sha256: str) -> Path | None:
        return self.store.drawable_path(sha256)

    def status(self) -> SyncStatus:
        return SyncStatus(
            online=False,
            last_sync=None,
            last_error=None,
            content_version=self._snapshot.version,
            server_url="",
            demo=True,
            left_out=_left_out(self.store),
        )

    def start(
        self,
        *,
        on_content: Callable[[Snapshot], None],
        on_event: Callable[[EventPublic], None],
        on_status: Callable[[SyncStatus], None],
        outbox_backlog: Callable[[], int] | None = None,
    ) -> None:
        on_status(self.status())

    def refresh_now(self) -> None:
        pass

    def stop(self) -> None:
        pass


def make_feed(settings: KioskSettings) -> ContentFeed:
    """The server feed when a server is configured, else the demo feed."""
    return DemoFeed(settings) if settings.demo else ServerFeed(settings)
