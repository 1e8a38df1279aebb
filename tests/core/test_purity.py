"""kiosk.core and kiosk.sync import no UI, web-server or database framework.

Each check imports every module of a package in a fresh interpreter (so nothing this test
run already imported can hide or fake a leak) and lists the forbidden top-level packages
that ended up in ``sys.modules``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

UI_SERVER_DB = ["kivy", "fastapi", "starlette", "sqlalchemy", "uvicorn"]

_IMPORT_ALL = """
import importlib, json, pkgutil, sys
forbidden, packages = json.loads(sys.argv[1]), json.loads(sys.argv[2])
imported = []
for name in packages:
    package = importlib.import_module(name)
    imported.append(name)
    for info in pkgutil.walk_packages(package.__path__, name + "."):
        importlib.import_module(info.name)
        imported.append(info.name)
leaked = sorted(m for m in sys.modules if m.split(".")[0] in forbidden)
print(json.dumps({"imported": imported, "leaked": leaked}))
"""


def import_everything(packages: list[str], forbidden: list[str]) -> tuple[list[str], list[str]]:
    """Import ``packages`` and all their modules in a new interpreter; (imported, leaked)."""
    env = dict(os.environ, KIVY_NO_ARGS="1", KIVY_NO_CONSOLELOG="1")
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_ALL, json.dumps(forbidden), json.dumps(packages)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, f"importing {packages} failed:\n{done.stderr}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["imported"], result["leaked"]


def test_core_imports_no_framework() -> None:
    imported, leaked = import_everything(["kiosk.core"], [*UI_SERVER_DB, "requests"])
    assert leaked == [], f"kiosk.core pulled in {leaked}"
    for module in ("content", "wire", "tickets", "queueing", "schedule", "speech"):
        assert f"kiosk.core.{module}" in imported


def test_sync_imports_no_ui_server_or_database() -> None:
    # The sync client may use requests; it must not pull in kivy or the server's stack.
    imported, leaked = import_everything(["kiosk.sync"], UI_SERVER_DB)
    assert leaked == [], f"kiosk.sync pulled in {leaked}"
    assert imported[0] == "kiosk.sync"


def test_the_check_sees_an_import() -> None:
    # The same check must fail when a package does import something it lists:
    # kiosk.core's content model is built on pydantic.
    _, leaked = import_everything(["kiosk.core"], ["pydantic"])
    assert "pydantic" in leaked
