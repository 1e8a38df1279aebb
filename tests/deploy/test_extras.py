"""Each half installs with its own extra only (issue 11): ``pip install .[server]`` brings no
Kivy or speech engine, ``pip install .[kiosk]`` no web server or database, and each half
imports every one of its modules in a fresh venv holding just that.

The venvs are real (no ``--system-site-packages``), built from a copy of the source tree
(so pip's in-tree build touches nothing here) and resolved from the machine's pip
configuration, like deploy/*/install.sh does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import venv
from pathlib import Path

import pytest

from tests.utils.servers import REPO

pytestmark = pytest.mark.slow

SERVER_ONLY = ["fastapi", "starlette", "sqlalchemy", "uvicorn", "alembic", "argon2-cffi"]
KIOSK_ONLY = ["kivy", "pyttsx3", "requests", "qrcode"]

# Imports every module of the half (the other half's package is skipped) and reports the
# installed distributions and which of the other half's import names got loaded.
_IMPORT_HALF = """
import importlib, importlib.metadata as md, json, pkgutil, sys
half, banned = sys.argv[1], json.loads(sys.argv[2])
roots = ["kiosk.server"] if half == "server" else ["kiosk"]
imported = []
for root in roots:
    package = importlib.import_module(root)
    for info in pkgutil.walk_packages(package.__path__, root + "."):
        if half == "kiosk" and info.name.startswith("kiosk.server"):
            continue
        if info.name.endswith(".__main__"):  # runs the program
            continue
        if ".migrations." in info.name:  # alembic loads these itself (the test migrates)
            continue
        importlib.import_module(info.name)
        imported.append(info.name)
dists = sorted({(d.metadata["Name"] or "").lower() for d in md.distributions()})
leaked = sorted(m for m in sys.modules if m.split(".")[0] in banned)
print(json.dumps({"imported": imported, "dists": dists, "leaked": leaked}))
"""


def _source_copy(dest: Path) -> Path:
    dest.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, dest / name)
    shutil.copytree(
        REPO / "kiosk", dest / "kiosk", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    return dest


def _install(tmp: Path, extra: str) -> Path:
    """A fresh venv in ``tmp`` with ``.[extra]`` installed; returns its python."""
    src = _source_copy(tmp / "src")
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(tmp / "venv")
    python = tmp / "venv" / "bin" / "python"
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", f"{src}[{extra}]"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"pip install .[{extra}] failed:\n{done.stderr[-4000:]}"
    return python


def _import_half(python: Path, half: str, banned: list[str]) -> dict[str, list[str]]:
    env = {"HOME": str(python.parents[2]), "KIVY_NO_ARGS": "1", "KIVY_NO_CONSOLELOG": "1"}
    if "DISPLAY" in os.environ:
        env["DISPLAY"] = os.environ["DISPLAY"]
    done = subprocess.run(
        [str(python), "-c", _IMPORT_HALF, half, json.dumps(banned)],
        cwd="/",  # not the repo: the venv's installed copy must be the one imported
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"importing the {half} failed:\n{done.stderr[-4000:]}"
    result: dict[str, list[str]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_server_extra_installs_and_imports_without_the_kiosk(tmp_path: Path) -> None:
    python = _install(tmp_path, "server")
    result = _import_half(python, "server", ["kivy", "pyttsx3", "requests", "qrcode"])
    assert not set(result["dists"]) & set(KIOSK_ONLY), result["dists"]
    assert set(SERVER_ONLY) <= set(result["dists"])
    assert result["leaked"] == []
    assert {"kiosk.server.app", "kiosk.server.cli", "kiosk.server.db"} <= set(result["imported"])
    migrated = subprocess.run(
        [str(python.parent / "kiosk-server"), "migrate", "--data-dir", str(tmp_path / "data")],
        cwd="/",
        env={"HOME": str(tmp_path), "KIOSK_SERVER_DEMO_MODE": "true"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert migrated.returncode == 0, migrated.stderr[-4000:]
    assert (tmp_path / "data").is_dir()


def test_the_kiosk_extra_installs_and_imports_without_the_server(tmp_path: Path) -> None:
    python = _install(tmp_path, "kiosk")
    result = _import_half(python, "kiosk", ["fastapi", "starlette", "sqlalchemy", "uvicorn"])
    assert not set(result["dists"]) & set(SERVER_ONLY), result["dists"]
    assert set(KIOSK_ONLY) <= set(result["dists"])
    assert result["leaked"] == []
    assert {"kiosk.app", "kiosk.sync.client", "kiosk.screens.home"} <= set(result["imported"])
