"""Waiting in a test for something another process does: one poll loop for the suite."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

__all__ = ["until"]


def until(check: Callable[[], Any], what: str, timeout: float = 15, step: float = 0.1) -> Any:
    """Poll ``check`` until it returns something true (returned), or fail saying ``what``
    did not happen within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what} ({timeout:g} s)")
        time.sleep(step)
