"""Bearer tokens of the demo logins a test server writes to ``demo-credentials.json``
(the rule is :func:`devkit.logins.staff_token`)."""

from __future__ import annotations

from devkit import logins
from devkit.servers import RunningServer

__all__ = ["staff_token"]


def staff_token(server: RunningServer, hall_id: str | None = None) -> str:
    """Bearer token of the demo hall staff of ``hall_id`` (None: the district admin)."""
    return logins.staff_token(server.api, server.credentials, hall_id)
