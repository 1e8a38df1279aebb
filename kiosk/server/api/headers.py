"""The two request headers read in two places — the FastAPI dependencies
(:mod:`kiosk.server.api.deps`) and the plain-ASGI lane (:mod:`kiosk.server.hot_paths`) —
parsed by one rule each, so the lane can never accept what a route refuses."""

from __future__ import annotations

import re

from kiosk.core.wire import IDEMPOTENCY_KEY_PATTERN

__all__ = ["IDEMPOTENCY_KEY", "IDEMPOTENCY_KEY_PATTERN", "MAX_TOKEN_LENGTH", "bearer_token"]

#: What a client may choose as ``Idempotency-Key`` (the rule is the wire's).
IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)
#: Longer than any token we issue; a longer one is refused before any look-up.
MAX_TOKEN_LENGTH = 200


def bearer_token(authorization: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value, or None when the
    value is not of that form (another scheme, no token, a token too long)."""
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return token
