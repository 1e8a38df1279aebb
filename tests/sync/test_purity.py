"""kiosk.sync is usable without a display: importing it pulls in neither kivy nor the server."""

from __future__ import annotations

import subprocess
import sys

MODULES = [
    "kiosk.sync",
    *(
        f"kiosk.sync.{m}"
        for m in ("backoff", "client", "cursor", "durable", "errors", "service", "store")
    ),
]


def test_sync_imports_neither_kivy_nor_the_server() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in MODULES)
        + "banned = {'kivy', 'fastapi', 'starlette', 'sqlalchemy', 'uvicorn'}\n"
        "bad = sorted(m for m in sys.modules\n"
        "             if m.split('.')[0] in banned or m.startswith('kiosk.server'))\n"
        "print(','.join(bad))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == ""
