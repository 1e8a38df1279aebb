"""``make run`` for real: its one banner names everything a newcomer needs, each thing
named works (the ticket's phone page, /docs, the admin login, the kiosk's screenshot
hint), and the project's own packaging installs without a setuptools warning."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import requests

from tests.utils.servers import free_port

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _read_banner(process: subprocess.Popen[str], timeout: float) -> str:
    """The script's output up to the end of its banner."""
    assert process.stdout is not None
    out: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                break
            continue
        out.append(line)
        if "Press Ctrl+C to stop." in line:
            break
    return "".join(out)


@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb (scripts/system-deps.sh)")
def test_make_run_prints_one_banner_with_everything_that_works(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["PYTHONUNBUFFERED"] = "1"
    data = tmp_path / "data"
    process = subprocess.Popen(
        [sys.executable, "scripts/run_demo.py", "--data-dir", str(data), "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        out = _read_banner(process, timeout=180)
        assert "Press Ctrl+C to stop." in out, out
        base = f"http://127.0.0.1:{port}"
        creds = json.loads((data / "demo-credentials.json").read_text("utf-8"))
        # One banner: the server's own list of every hall's logins is not printed.
        assert out.count("demo is running") == 1, out
        assert "hall server (demo) on" not in out and "kiosk token" not in out, out
        # It shows 名士豪庭, as the README's screenshots do.
        assert "名士豪庭" in out
        admin, staff = creds["admin"], creds["staff"]["mingshi-haoting"]
        assert f"{admin['username']} / {admin['password']}" in out
        assert f"{staff['username']} / {staff['password']}" in out
        assert f"{base}/admin/" in out and f"{base}/docs" in out
        # The ticket's phone page answers, for the ticket taken at start.
        phone = re.search(rf"{re.escape(base)}/t/[A-Za-z0-9_-]+", out)
        assert phone is not None, out
        page = requests.get(phone.group(0), timeout=30)
        assert page.status_code == 200 and "A0" in page.text
        assert requests.get(f"{base}/docs", timeout=30).status_code == 200
        # The kiosk hint: its command makes a picture of the kiosk's virtual screen.
        hint = re.search(r"(\S*python\S*) (scripts/screenshot_display\.py) (:\d+) kiosk\.png", out)
        assert hint is not None, out
        shot = tmp_path / "kiosk.png"
        from PIL import Image

        colours: list[object] = []
        deadline = time.monotonic() + 90  # the kiosk needs a moment to draw its first frame
        while len(colours) <= 20 and time.monotonic() < deadline:
            done = subprocess.run(
                [sys.executable, hint.group(2), hint.group(3), str(shot)],
                cwd=REPO,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            with Image.open(shot) as image:
                assert image.size == (1920, 1080)
                colours = image.convert("RGB").getcolors(maxcolors=1 << 20) or []
            time.sleep(0.5)
        assert len(colours) > 20, "the kiosk's screen stayed blank"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


def test_the_package_builds_without_a_setuptools_warning(tmp_path: Path) -> None:
    """The data folders (fonts, catalog, templates, static files) are packages of their
    own: setuptools ships them and says nothing."""
    # Built from a copy: setuptools writes build/ and *.egg-info beside the sources.
    source = tmp_path / "src"
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(REPO / "kiosk", source / "kiosk", ignore=skip)
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    wheels = tmp_path / "wheels"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(wheels), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    assert "BuildBackendWarning" not in output and "absent from" not in output, output
    (wheel,) = wheels.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for wanted in (
        "kiosk/assets/fonts/NotoSansSC-Subset-Regular.otf",
        "kiosk/locale/zh_CN/LC_MESSAGES/kiosk.po",
        "kiosk/server/static/admin.css",
        "kiosk/server/templates/ticket.html",
        "kiosk/screens/home.kv",
    ):
        assert wanted in names, wanted
    assert not [n for n in names if "__pycache__" in n]
