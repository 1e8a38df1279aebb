"""What can go wrong while a kiosk syncs, as typed exceptions.

Every failure the sync code meets ends as one of these, so callers (the sync service,
the maintenance screen) can tell "the server is away" from "the server sent rubbish"
from "our disk failed" without parsing messages. Messages are short English diagnostics
for logs and the maintenance screen; residents never see them.
"""

from __future__ import annotations

__all__ = [
    "BadResponse",
    "CacheError",
    "ContentRejected",
    "MediaRejected",
    "RequestRejected",
    "ServerFault",
    "ServerUnreachable",
    "SyncError",
]


class SyncError(Exception):
    """Base of every sync failure; ``str(exc)`` is a one-line diagnostic."""


class ServerUnreachable(SyncError):
    """No usable answer: connection refused, DNS, timeout, connection dropped mid-reply."""


class ServerFault(SyncError):
    """The server answered 5xx (a bug or an overloaded server on its side)."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


class RequestRejected(SyncError):
    """The server answered 4xx with its JSON error body (code, message, field)."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        self.status = status
        self.code = code
        self.field = field
        where = f" ({field})" if field else ""
        super().__init__(f"HTTP {status} {code}: {message}{where}")


class BadResponse(SyncError):
    """A 2xx answer whose body is not what the wire promises (bad JSON, wrong shape, cut off)."""


class ContentRejected(SyncError):
    """A snapshot that failed validation; ``problems`` lists (field path, message)."""

    def __init__(self, message: str, problems: list[tuple[str, str]] | None = None) -> None:
        self.problems = problems or []
        super().__init__(message)


class MediaRejected(SyncError):
    """A media file the snapshot names could not be fetched or had the wrong SHA-256."""

    def __init__(self, sha256: str, message: str) -> None:
        self.sha256 = sha256
        super().__init__(message)


class CacheError(SyncError):
    """The kiosk's own disk failed while storing content (full, read-only, permissions)."""
