"""Bearer tokens of the demo logins a server writes to ``demo-credentials.json``: the one
copy tests, bench and scripts use."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

__all__ = ["staff_token"]


def staff_token(
    api: str, credentials: dict[str, Any], hall_id: str | None = None, *, timeout: float = 60
) -> str:
    """Bearer token of the demo staff of ``hall_id`` (None: the district admin), from the
    API at ``api`` (``http://127.0.0.1:8000/api/v1``). A refused login raises
    ``urllib.error.HTTPError`` with the server's answer."""
    login = credentials["admin"] if hall_id is None else credentials["staff"][hall_id]
    body = json.dumps({"username": login["username"], "password": login["password"]}).encode()
    req = urllib.request.Request(
        f"{api}/auth/token", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return str(json.loads(resp.read())["access_token"])
