"""The error answers a route documents in OpenAPI: one shape (``ErrorPublic``) for every
status, written once. Route modules import :func:`error_responses`."""

from __future__ import annotations

from typing import Any

from kiosk.core.wire import ErrorPublic

__all__ = ["error_responses"]


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route that may answer these statuses with the error body."""
    return {status: {"model": ErrorPublic} for status in statuses}
