"""The kiosk's on-disk content cache: the last good snapshot and its media, swapped atomically.

Layout under ``root`` (see docs/SYNC.md)::

    current.json                 pointer to the last good snapshot (+ ETag, when applied)
    snapshots/<hall>-v<N>-<h>.json   snapshot bytes exactly as the server sent them
    media/<sha256>               media files, content-addressed, verified
    staging/                     downloads in progress; emptied before every apply

A new snapshot becomes current only after it validated and every media file it names is
in ``media/`` with the right hash; the switch is one atomic rename of ``current.json``.
Whatever fails before that rename leaves the last good content exactly as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import re
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

from kiosk.core import clock
from kiosk.core.content import ContentError, Snapshot, parse_snapshot
from kiosk.core.media import MediaRefused, check_image_file
from kiosk.core.salvage import LeftOut, salvage_snapshot
from kiosk.sync.durable import fsync_dir, remove_leftovers, write_atomic
from kiosk.sync.errors import CacheError, ContentRejected, MediaRejected, SyncError

__all__ = ["ContentStore"]

log = logging.getLogger(__name__)

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_POINTER = "current.json"
_POINTER_FORMAT = 1


class ContentStore:
    """The last good content of this kiosk's hall, on disk under ``root``.

    Thread-safe: the UI thread reads :meth:`current` while the sync thread runs
    :meth:`apply`. Only one process may use a ``root`` at a time.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._snapshots = self.root / "snapshots"
        self._media = self.root / "media"
        self._staging = self.root / "staging"
        # _lock guards the in-memory state and is only ever held briefly (the UI thread
        # reads through it); _apply_lock serialises applies, across their network fetches.
        self._lock = threading.RLock()
        self._apply_lock = threading.Lock()
        self._loaded = False
        self._drawable: dict[str, bool] = {}
        self._current: Snapshot | None = None
        self._current_file: str | None = None
        self._etag: str | None = None
        self._applied_at: dt.datetime | None = None
        self.last_error: str | None = None
        """The last failure of :meth:`apply` (or of loading from disk); None after a success."""
        self._left_out: list[LeftOut] = []

    @property
    def left_out(self) -> list[LeftOut]:
        """Items of the current snapshot that were bad and are not shown (see
        :mod:`kiosk.core.salvage`); empty for a wholly good one."""
        self.current()
        return list(self._left_out)

    # -- reading ---------------------------------------------------------------------

    def current(self) -> Snapshot | None:
        """The last good snapshot, or None before the first successful sync.

        Read from disk on first use, then answered from memory without waiting, even
        while an apply is downloading media.
        """
        if self._loaded:
            return self._current
        with self._lock:
            if not self._loaded:
                self._load()
            return self._current

    @property
    def etag(self) -> str | None:
        """The ETag the current snapshot came with (for If-None-Match), or None."""
        with self._lock:
            snap = self.current()
            if snap is None:
                return None
            return self._etag or snap.etag

    @property
    def applied_at(self) -> dt.datetime | None:
        """When the current snapshot was stored (UTC), or None."""
        with self._lock:
            self.current()
            return self._applied_at

    def media_path(self, sha256: str) -> Path | None:
        """The cached media file with this SHA-256, or None if it is not here."""
        if not _SHA256.match(sha256):
            return None
        path = self._media / sha256
        return path if path.is_file() else None

    def drawable_path(self, sha256: str) -> Path | None:
        """The cached media file if it is an image the kiosk may draw, else None.

        The same check the server runs on every upload (:func:`kiosk.core.media.check_image`:
        PNG/JPEG/WebP by its bytes, size and pixel count bounded before decoding), run
        once per file: a bad file in the cache (a pixel bomb, an SVG from an old server)
        is left out and logged, and the screen shows its placeholder instead.
        """
        path = self.media_path(sha256)
        if path is None:
            return None
        with self._lock:
            known = self._drawable.get(sha256)
        if known is None:
            try:
                check_image_file(path)
                known = True
            except MediaRefused as exc:
                log.warning("media %s left out: not a drawable image: %s", sha256[:12], exc)
                known = False
            with self._lock:
                self._drawable[sha256] = known
        return path if known else None

    # -- writing ---------------------------------------------------------------------

    def apply(
        self,
        raw: bytes,
        fetch_media: Callable[[str], bytes],
        *,
        etag: str | None = None,
    ) -> Snapshot:
        """Validate ``raw``, fetch missing media, and make it the current snapshot.

        ``fetch_media(sha256)`` returns a media file's bytes (it may raise a
        :class:`SyncError`, which passes through). Raises :class:`ContentRejected`,
        :class:`MediaRejected`, :class:`CacheError` or the fetcher's error; on any failure
        the last good content stays current and :attr:`last_error` says why.
        """
        with self._apply_lock:
            try:
                snap = self._apply(raw, fetch_media, etag)
            except SyncError as exc:
                self.last_error = str(exc)
                log.warning("content not applied, keeping the last good one: %s", exc)
                raise
            except OSError as exc:
                self.last_error = f"cache write failed: {exc}"
                log.error("content not applied, keeping the last good one: %s", exc)
                raise CacheError(self.last_error) from exc
            self.last_error = None
            return snap

    def _apply(self, raw: bytes, fetch_media: Callable[[str], bytes], etag: str | None) -> Snapshot:
        try:
            # New content is applied only whole (else the last good one stays); what is
            # already cached is read with bad items left out (see :meth:`_load_pointer`).
            snap = parse_snapshot(raw)
        except ContentError as exc:
            raise ContentRejected(f"snapshot rejected: {exc}", exc.problems) from None
        old = self.current()
        digest = hashlib.sha256(raw).hexdigest()
        name = f"{snap.hall_id}-v{snap.version}-{digest[:12]}.json"
        complete = all(self.media_path(h) for h in snap.content.media_hashes())
        if old is not None and name == self._current_file and complete:
            # The very same bytes again: nothing to swap, but remember a new ETag.
            if etag and etag != self._etag:
                with self._lock:
                    self._write_pointer(name, digest, etag)
                    self._etag = etag
            return old
        if old is not None and (snap.hall_id, snap.version) < (old.hall_id, old.version):
            log.warning(
                "server sent version %s of %s, older than our %s; applying it (server wins)",
                snap.version,
                snap.hall_id,
                old.version,
            )

        for folder in (self._snapshots, self._media):
            folder.mkdir(parents=True, exist_ok=True)
        self._stage_media(snap, fetch_media)

        write_atomic(self._snapshots / name, raw)
        with self._lock:
            self._write_pointer(name, digest, etag)  # <- the swap
            old_file = self._current_file
            self._current = snap
            self._left_out = []
            self._current_file = name
            self._etag = etag
            self._applied_at = clock.now()
        log.info("content v%s of %s applied", snap.version, snap.hall_id)
        self._collect_garbage(keep=(snap, old), files={name, old_file or ""})
        return snap

    def _stage_media(self, snap: Snapshot, fetch_media: Callable[[str], bytes]) -> None:
        missing = sorted(h for h in snap.content.media_hashes() if self.media_path(h) is None)
        if not missing:
            return
        shutil.rmtree(self._staging, ignore_errors=True)
        self._staging.mkdir(parents=True)
        for sha in missing:
            try:
                data = fetch_media(sha)
            except SyncError:
                raise
            except Exception as exc:
                raise MediaRejected(sha, f"media {sha[:12]}: fetch failed: {exc}") from exc
            got = hashlib.sha256(data).hexdigest()
            if got != sha:
                raise MediaRejected(
                    sha, f"media {sha[:12]}: wrong SHA-256 (got {got[:12]}, {len(data)} bytes)"
                )
            with open(self._staging / sha, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
        # Media are immutable and named by their hash: moving them in early cannot change
        # what the current snapshot shows, and a crash here leaves only harmless extras.
        for sha in missing:
            os.replace(self._staging / sha, self._media / sha)
        fsync_dir(self._media)
        shutil.rmtree(self._staging, ignore_errors=True)

    def _write_pointer(self, name: str, digest: str, etag: str | None) -> None:
        pointer = {
            "format": _POINTER_FORMAT,
            "snapshot": name,
            "sha256": digest,
            "etag": etag,
            "applied_at": clock.now().isoformat(),
        }
        data = json.dumps(pointer, ensure_ascii=False, indent=1).encode()
        self.root.mkdir(parents=True, exist_ok=True)
        write_atomic(self.root / _POINTER, data)

    def _collect_garbage(self, *, keep: tuple[Snapshot, Snapshot | None], files: set[str]) -> None:
        """Keep the current and the previous snapshot and their media; drop the rest.

        The previous one stays because the UI may still be drawing it for a moment.
        """
        keep_media: set[str] = set()
        for snap in keep:
            if snap is not None:
                keep_media |= snap.content.media_hashes()
        with contextlib.suppress(OSError):
            for entry in self._snapshots.iterdir():
                if entry.name not in files and not entry.name.startswith("."):
                    entry.unlink()
            for entry in self._media.iterdir():
                if entry.name not in keep_media and _SHA256.match(entry.name):
                    entry.unlink()

    # -- loading ---------------------------------------------------------------------

    def _load(self) -> None:
        try:
            self._load_from_disk()
        finally:
            self._loaded = True  # set last: current()'s lock-free path must see a full load

    def _load_from_disk(self) -> None:
        for folder in (self.root, self._snapshots, self._media):
            removed = remove_leftovers(folder)
            if removed:
                log.info("removed %d unfinished file(s) from %s", removed, folder)
        shutil.rmtree(self._staging, ignore_errors=True)
        try:
            self._load_pointer()
        except (OSError, ValueError, KeyError, TypeError, ContentError) as exc:
            if not (self.root / _POINTER).exists() and not self._snapshots.is_dir():
                return  # a fresh kiosk: nothing cached yet
            self.last_error = f"cached content unreadable: {exc}"
            log.error("%s; looking for an older good snapshot", self.last_error)
            self._load_newest_complete()

    def _load_pointer(self) -> None:
        pointer = json.loads((self.root / _POINTER).read_bytes())
        name = str(pointer["snapshot"])
        if "/" in name or "\\" in name or name.startswith("."):
            raise ValueError(f"bad snapshot name {name!r}")
        raw = (self._snapshots / name).read_bytes()
        if hashlib.sha256(raw).hexdigest() != pointer["sha256"]:
            raise ValueError(f"{name} does not match its recorded SHA-256")
        # Cached by this kiosk (perhaps by an older version of it, before a rule was
        # added): a bad item is left out rather than the whole hall going blank.
        snap, left_out = _salvage(raw)
        for sha in sorted(h for h in snap.content.media_hashes() if self.media_path(h) is None):
            # Lost from the disk since: the photo is not shown (the initial is), and the
            # next sync fetches it again (see the same-bytes case of :meth:`_apply`).
            left_out.append(LeftOut(f"media/{sha[:12]}", "", "照片文件缺失，暂不显示"))
            log.warning("cached media %s is missing; shown without it", sha[:12])
        self._current = snap
        self._left_out = left_out
        self._current_file = name
        self._etag = pointer.get("etag")
        applied = pointer.get("applied_at")
        self._applied_at = dt.datetime.fromisoformat(applied) if applied else None

    def _load_newest_complete(self) -> None:
        """Fallback when the pointer is unusable: the newest cached snapshot that is whole."""
        candidates: list[tuple[int, float, Path, Snapshot, list[LeftOut]]] = []
        if self._snapshots.is_dir():
            for entry in self._snapshots.glob("*.json"):
                try:
                    raw = entry.read_bytes()
                    snap, left_out = _salvage(raw)
                except (OSError, ContentError):
                    continue
                # The name ends in the first 12 hex digits of the file's SHA-256.
                if not entry.stem.endswith("-" + hashlib.sha256(raw).hexdigest()[:12]):
                    continue
                if all(self.media_path(h) for h in snap.content.media_hashes()):
                    candidates.append((snap.version, entry.stat().st_mtime, entry, snap, left_out))
        if not candidates:
            log.error("no usable cached content")
            return
        _, mtime, entry, snap, left_out = max(candidates, key=lambda c: (c[0], c[1]))
        self._current = snap
        self._left_out = left_out
        self._current_file = entry.name
        self._etag = None  # unknown: the next check downloads the snapshot again
        self._applied_at = dt.datetime.fromtimestamp(mtime, dt.UTC)
        log.warning("using cached %s", entry.name)


def _salvage(raw: bytes) -> tuple[Snapshot, list[LeftOut]]:
    """Parse ``raw``; bad items are left out (and logged) rather than refusing it all."""
    snap, left_out = salvage_snapshot(raw)
    for item in left_out:
        log.warning("left out of content v%s of %s: %s", snap.version, snap.hall_id, item)
    return snap, left_out
