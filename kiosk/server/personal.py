"""Personal data at rest (个人信息保护法): sealed with a key from the server's settings.

Names, phones, ID numbers, emergency contacts and notes of residents are stored only as
the bytes :func:`seal` returns, and read back with :func:`open_`. A phone that must be
searchable is stored a second time as :func:`lookup_hash` — a keyed HMAC-SHA256 (a key
derived separately from the data key), so a copy of the database alone can neither read
a number nor test guesses against the hashes.

A sealed value is ``key id (1 byte) ‖ nonce (12 bytes) ‖ AES-256-GCM ciphertext+tag``
(``cryptography``'s AESGCM). The key id is the first byte of the key's fingerprint, so a
server given a new ``data_key`` and the previous one in ``old_data_keys`` still opens
what the old key sealed, and seals everything new with the new key (docs/PRIVACY.md).

The key: ``data_key`` in the settings (``KIOSK_SERVER_DATA_KEY``), 32 random bytes in
base64. Outside demo mode the server refuses to start without one (:func:`require_key`);
nothing is ever stored in clear instead. In demo mode without a key, one is derived from
the demo's ``secret_key`` — demo data only.

Used by the households register (``kiosk/server/households/``), the requests store and
anything else that keeps a resident's name or number.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kiosk.server.settings import ServerSettings

__all__ = [
    "DataKeyMissing",
    "SealBroken",
    "lookup_hash",
    "new_data_key",
    "open_",
    "open_or_none",
    "require_key",
    "seal",
    "seal_or_none",
]

_NONCE = 12


class DataKeyMissing(RuntimeError):
    """No ``data_key`` outside demo mode: personal data cannot be stored or read."""


class SealBroken(ValueError):
    """A sealed value that no configured key opens (wrong key, damaged bytes)."""


@dataclass(frozen=True, slots=True)
class _Key:
    kid: int
    aead: AESGCM
    lookup: bytes


_cache: dict[tuple[str, ...], tuple[_Key, dict[int, _Key]]] = {}


def new_data_key() -> str:
    """A fresh data key for the settings: 32 random bytes, base64."""
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _derive(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


def _key(master: bytes) -> _Key:
    kid = hashlib.sha256(b"kiosk-data-key-id:" + master).digest()[0]
    return _Key(
        kid,
        AESGCM(_derive(master, b"kiosk personal seal v1")),
        _derive(master, b"kiosk personal lookup v1"),
    )


def _master(settings: ServerSettings) -> bytes:
    if settings.data_key:
        return base64.b64decode(settings.data_key)
    if settings.demo_mode:
        return _derive(settings.secret_key.encode(), b"kiosk demo data key")
    raise DataKeyMissing(
        "data_key is not set: personal data cannot be stored without it. Set "
        "KIOSK_SERVER_DATA_KEY (or data_key in the settings file) to the output of "
        "`kiosk-server new-data-key`, and keep a copy safe, apart from the database backups"
    )


def _keys(settings: ServerSettings) -> tuple[_Key, dict[int, _Key]]:
    marker = (settings.data_key, settings.secret_key, str(settings.demo_mode))
    ident = (*marker, *settings.old_data_keys)
    found = _cache.get(ident)
    if found is None:
        current = _key(_master(settings))
        by_id = {current.kid: current}
        for old in settings.old_data_keys:
            key = _key(base64.b64decode(old))
            by_id.setdefault(key.kid, key)
        found = (current, by_id)
        _cache[ident] = found
    return found


def require_key(settings: ServerSettings) -> None:
    """Raise :class:`DataKeyMissing` now (at startup) rather than at the first household."""
    _keys(settings)


def seal(settings: ServerSettings, text: str) -> bytes:
    """``text`` encrypted with the current data key (a fresh random nonce every time)."""
    key, _ = _keys(settings)
    nonce = os.urandom(_NONCE)
    return bytes([key.kid]) + nonce + key.aead.encrypt(nonce, text.encode("utf-8"), None)


def open_(settings: ServerSettings, blob: bytes) -> str:
    """The text :func:`seal` sealed, with whichever configured key sealed it."""
    _, by_id = _keys(settings)
    data = bytes(blob)
    if len(data) < 1 + _NONCE + 16:
        raise SealBroken("sealed value too short")
    key = by_id.get(data[0])
    if key is None:
        raise SealBroken("sealed with a key this server does not have (old_data_keys?)")
    try:
        plain = key.aead.decrypt(data[1 : 1 + _NONCE], data[1 + _NONCE :], None)
    except InvalidTag:
        raise SealBroken("sealed value damaged or sealed with another key") from None
    return plain.decode("utf-8")


def seal_or_none(settings: ServerSettings, text: str | None) -> bytes | None:
    """:func:`seal`, with ``None`` and ``""`` stored as ``None`` (nothing to keep)."""
    return seal(settings, text) if text else None


def open_or_none(settings: ServerSettings, blob: bytes | None) -> str | None:
    return open_(settings, blob) if blob is not None else None


def lookup_hash(settings: ServerSettings, text: str) -> str:
    """A keyed hash of ``text`` (hex HMAC-SHA256) to find a row by it without storing it.

    Callers normalise first (a phone to its 11 digits), so the same number always hashes
    alike. The hash key is derived from the current data key: after a rotation the
    hashes are recomputed (docs/PRIVACY.md).
    """
    key, _ = _keys(settings)
    return hmac.new(key.lookup, text.encode("utf-8"), hashlib.sha256).hexdigest()
