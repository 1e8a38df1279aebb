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
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kiosk import __version__
from kiosk.core import clock
from kiosk.core.content import Snapshot
from kiosk.core.wire import EventPublic
from kiosk.settings import KioskSettings
from kiosk.sync.store import ContentStore

__all__ = ["ContentFeed", "DemoFeed", "FeedStatus", "ServerFeed", "make_feed"]


@dataclass(frozen=True)
class FeedStatus:
    """The sync state the status bar and the maintenance screen show.

    Same fields as :class:`kiosk.sync.service.SyncStatus`, plus ``demo``.
    """

    online: bool
    last_sync: dt.datetime | None
    last_error: str | None
    content_version: int | None
    server_url: str
    outbox_backlog: int = 0
    demo: bool = False
    left_out: tuple[str, ...] = ()
    """Items of the content on show that were bad and are left out, one line each."""


class ContentFeed(Protocol):
    def current(self) -> Snapshot | None: ...
    def media_path(self, sha256: str) -> Path | None:
        """A cached media file the kiosk may draw (checked), or None."""
        ...

    def status(self) -> FeedStatus: ...
    def start(
        self,
        *,
        on_content: Callable[[Snapshot], None],
        on_event: Callable[[EventPublic], None],
        on_status: Callable[[FeedStatus], None],
    ) -> None: ...
    def refresh_now(self) -> None: ...
    def stop(self) -> None: ...


class ServerFeed:
    """Content from the hall server, kept fresh by :class:`kiosk.sync.service.ContentSync`."""

    def __init__(self, settings: KioskSettings) -> None:
        self._settings = settings
        self.store = ContentStore(settings.data_dir / "content")
        self._sync: object | None = None
        #: The ticket outbox's backlog (set by the app before start), for the heartbeat.
        self.outbox_backlog: Callable[[], int] | None = None
        #: What is drawn and since when (kiosk.care_hooks), for the heartbeat.
        self.screen_state: Callable[[], tuple[str, dt.datetime] | None] | None = None

    def current(self) -> Snapshot | None:
        return self.store.current()

    def media_path(self, sha256: str) -> Path | None:
        return self.store.drawable_path(sha256)

    def status(self) -> FeedStatus:
        if self._sync is not None:
            return _from_sync(self._sync.status, self.store)  # type: ignore[attr-defined]
        snap = self.store.current()
        return FeedStatus(
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
        on_status: Callable[[FeedStatus], None],
    ) -> None:
        from kiosk.sync.client import HallClient
        from kiosk.sync.service import ContentSync

        client = HallClient(self._settings.server_url, self._settings.token)
        sync = ContentSync(
            client=client,
            store=self.store,
            on_content=on_content,
            on_event=on_event,
            on_status=lambda s: on_status(_from_sync(s, self.store)),
            app_version=__version__,
            outbox_backlog=self.outbox_backlog,
            screen_state=self.screen_state,
        )
        self._sync = sync
        sync.start()

    def refresh_now(self) -> None:
        if self._sync is not None:
            self._sync.refresh_now()  # type: ignore[attr-defined]

    def stop(self) -> None:
        if self._sync is not None:
            self._sync.stop(timeout=5.0)  # type: ignore[attr-defined]


def _left_out(store: ContentStore) -> tuple[str, ...]:
    return tuple(str(item) for item in store.left_out)


def _from_sync(status: object, store: ContentStore) -> FeedStatus:
    return FeedStatus(
        online=status.online,  # type: ignore[attr-defined]
        last_sync=status.last_sync,  # type: ignore[attr-defined]
        last_error=status.last_error,  # type: ignore[attr-defined]
        content_version=status.content_version,  # type: ignore[attr-defined]
        server_url=status.server_url,  # type: ignore[attr-defined]
        outbox_backlog=status.outbox_backlog,  # type: ignore[attr-defined]
        left_out=_left_out(store),
    )


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

    def status(self) -> FeedStatus:
        return FeedStatus(
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
        on_status: Callable[[FeedStatus], None],
    ) -> None:
        on_status(self.status())

    def refresh_now(self) -> None:
        pass

    def stop(self) -> None:
        pass


def make_feed(settings: KioskSettings) -> ContentFeed:
    """The server feed when a server is configured, else the demo feed."""
    return DemoFeed(settings) if settings.demo else ServerFeed(settings)
