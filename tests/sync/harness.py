"""Running a ContentSync in a test: recorded callbacks, waiting with a deadline, a staff desk."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from kiosk.core.content import Snapshot
from kiosk.core.wire import EventPublic
from kiosk.sync.backoff import Backoff
from kiosk.sync.client import HallClient
from kiosk.sync.service import ContentSync, SyncStatus
from kiosk.sync.store import ContentStore

#: Generous: the suite runs on a loaded 2-core machine. Behaviour, not speed, is asserted.
DEADLINE = 20.0


def fast_backoff() -> Backoff:
    return Backoff(base=0.1, cap=0.5, floor=0.05)


class Recorder:
    """Collects what ContentSync hands out, and lets a test wait for a condition."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.contents: list[Snapshot] = []
        self.events: list[EventPublic] = []
        self.statuses: list[SyncStatus] = []
        self.threads: set[str] = set()

    def _add(self, items: list[Any], item: Any) -> None:
        with self.cond:
            items.append(item)
            self.threads.add(threading.current_thread().name)
            self.cond.notify_all()

    def on_content(self, snap: Snapshot) -> None:
        self._add(self.contents, snap)

    def on_event(self, event: EventPublic) -> None:
        self._add(self.events, event)

    def on_status(self, status: SyncStatus) -> None:
        self._add(self.statuses, status)

    def wait_for(self, what: str, predicate: Callable[[], Any], timeout: float = DEADLINE) -> Any:
        """Wait until ``predicate()`` is truthy; returns its value or fails the test."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                value = predicate()
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
                self.cond.wait(min(remaining, 0.2))


@contextmanager
def running_sync(
    base_url: str,
    token: str,
    root: Path,
    *,
    timeout: float = 5.0,
    **options: Any,
) -> Iterator[tuple[ContentSync, Recorder, ContentStore]]:
    """A started ContentSync on a fresh client, stopped (and checked stopped) afterwards."""
    recorder = Recorder()
    client = HallClient(base_url, token, timeout=timeout)
    store = ContentStore(root)
    options.setdefault("backoff", fast_backoff)
    options.setdefault("poll_interval", 30.0)
    sync = ContentSync(
        client=client,
        store=store,
        on_content=recorder.on_content,
        on_event=recorder.on_event,
        on_status=recorder.on_status,
        app_version="test",
        **options,
    )
    before = set(threading.enumerate())
    sync.start()
    try:
        yield sync, recorder, store
    finally:
        sync.stop(timeout=10)
        alive = [
            t.name
            for t in set(threading.enumerate()) - before
            if t.name.startswith("sync-") and t.is_alive()
        ]
        client.close()
        assert not alive, f"sync threads still running after stop(): {alive}"


class StaffDesk:
    """What a staff member does from their desk, over the real API with a staff token."""

    def __init__(self, base_url: str, token: str) -> None:
        self.api = base_url.rstrip("/") + "/api/v1"
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.headers["Authorization"] = f"Bearer {token}"

    def close(self) -> None:
        self.session.close()

    def snapshot(self, hall_id: str) -> dict[str, Any]:
        resp = self.session.get(f"{self.api}/halls/{hall_id}/content", timeout=30)
        resp.raise_for_status()
        data: dict[str, Any] = resp.json()
        return data

    def publish(self, hall_id: str, content: dict[str, Any]) -> dict[str, Any]:
        resp = self.session.put(f"{self.api}/halls/{hall_id}/content", json=content, timeout=30)
        assert resp.status_code == 200, resp.text
        data: dict[str, Any] = resp.json()
        return data

    def edit(self, hall_id: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        """Fetch the hall's content, apply ``change`` to it, publish; returns the snapshot."""
        content = self.snapshot(hall_id)["content"]
        change(content)
        return self.publish(hall_id, content)

    def set_status(self, hall_id: str, staff_id: str, status: str) -> dict[str, Any]:
        resp = self.session.post(
            f"{self.api}/halls/{hall_id}/staff/{staff_id}/status",
            json={"status": status, "status_note": "测试"},
            timeout=30,
        )
        assert resp.status_code == 200, resp.text
        data: dict[str, Any] = resp.json()
        return data

    def upload(self, data: bytes) -> str:
        resp = self.session.post(
            f"{self.api}/media",
            data=data,
            headers={"Content-Type": "application/octet-stream"},
            timeout=30,
        )
        assert resp.status_code == 201, resp.text
        digest: str = resp.json()["sha256"]
        return digest


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
