"""The server's background tasks (group commit, event hub, jobs, ticket hand-off): the one
way each is stopped."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

__all__ = ["cancelled"]


async def cancelled(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` (None: nothing) and wait until it has finished."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
