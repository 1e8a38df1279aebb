"""Where a request's name and phone are sealed and opened: the one place that calls
:mod:`kiosk.server.personal` (AES-GCM with the server's data key, keyed lookup hash).

The store is handed the server settings by its callers (routes, admin pages): without
them it can neither seal nor open personal data, and says so rather than store it clear.
"""

from __future__ import annotations

from kiosk.server import personal
from kiosk.server.settings import ServerSettings

__all__ = ["lookup_hash", "open_", "seal"]


class SettingsNeeded(RuntimeError):
    """A caller stored or read a name or phone without passing ``settings``."""


def _need(settings: ServerSettings | None) -> ServerSettings:
    if settings is None:
        raise SettingsNeeded("storing or reading a resident's name or phone needs settings=")
    return settings


def seal(settings: ServerSettings | None, text: str) -> bytes:
    return personal.seal(_need(settings), text)


def open_(settings: ServerSettings | None, blob: bytes) -> str:
    return personal.open_(_need(settings), blob)


def lookup_hash(settings: ServerSettings | None, text: str) -> str:
    return personal.lookup_hash(_need(settings), text)
