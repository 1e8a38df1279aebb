"""Where a request's name and phone are sealed and opened: the one place to switch.

The contract (/tmp/t2 §4) gives ``kiosk.server.personal`` (branch ``households``) the
encryption at rest. Until it is merged this module keeps the call sites in one spot with
a stand-in that is NOT encryption: it only marks the bytes, so nothing else has to change
when ``seal``/``open_``/``lookup_hash`` below become the three ``personal`` calls.
"""

from __future__ import annotations

import hashlib
import hmac

from kiosk.server.settings import ServerSettings

__all__ = ["lookup_hash", "open_", "seal"]

_STAND_IN = b"plain:"  # TODO(households): personal.seal / personal.open_ replace this


def seal(settings: ServerSettings | None, text: str) -> bytes:
    return _STAND_IN + text.encode()


def open_(settings: ServerSettings | None, blob: bytes) -> str:
    if blob.startswith(_STAND_IN):
        return blob[len(_STAND_IN) :].decode()
    raise ValueError("无法读取加密的个人信息")


def lookup_hash(settings: ServerSettings | None, text: str) -> str:
    key = (settings.secret_key if settings is not None else "requests").encode()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
