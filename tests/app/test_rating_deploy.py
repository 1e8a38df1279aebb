"""The rating device as a hall PC runs it: ``kiosk --mode rating --counter N`` from the
command line or kiosk.toml, refused without its counter, and the hall screen's unit
instantiated for it (``residents-home-kiosk@rating.service``) passes systemd-analyze.
The watchdog for this mode: tests/deploy/test_kiosk_watchdog.py (parametrized)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kiosk.cli import build_parser, settings_from_args
from kiosk.settings import SettingsError, load_settings

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "deploy" / "kiosk" / "residents-home-kiosk@.service"


def test_rating_mode_needs_its_counter(tmp_path: Path) -> None:
    args = build_parser().parse_args(["--mode", "rating", "--counter", "3"])
    assert settings_from_args(args).counter == 3
    with pytest.raises(SettingsError, match="--counter"):
        load_settings(None, mode="rating")
    for bad in (-1, "three", True):
        with pytest.raises(SettingsError, match="counter"):
            load_settings(None, mode="rating", counter=bad)
    config = tmp_path / "kiosk.toml"
    example = (REPO / "config" / "kiosk.example.toml").read_text("utf-8")
    config.write_text(
        example.replace('mode = "kiosk"', 'mode = "rating"').replace(
            "# counter = 3", "counter = 7"
        ),
        "utf-8",
    )
    settings = load_settings(config)
    assert (settings.mode, settings.counter) == ("rating", 7)


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="needs systemd-analyze")
def test_the_rating_instance_of_the_screen_unit_verifies(tmp_path: Path) -> None:
    text = UNIT.read_text("utf-8").replace("/opt/residents-home/.venv", str(REPO / ".venv"))
    text = text.replace("/opt/residents-home", str(REPO))
    assert "residents-home-kiosk@rating.service" in UNIT.read_text("utf-8")
    (tmp_path / "residents-home-kiosk@rating.service").write_text(text, "utf-8")
    down = REPO / "deploy" / "kiosk" / "residents-home-kiosk-down@.service"
    (tmp_path / "residents-home-kiosk-down@rating.service").write_text(
        down.read_text("utf-8").replace("/opt/residents-home", str(REPO)), "utf-8"
    )
    done = subprocess.run(
        [
            "systemd-analyze",
            "verify",
            "--man=no",
            str(tmp_path / "residents-home-kiosk@rating.service"),
            str(tmp_path / "residents-home-kiosk-down@rating.service"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"},
    )
    problems = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if line.strip() and "not found" not in line and "Failed to" not in line
    ]
    assert not problems, "\n".join(problems)
    session = (REPO / "deploy" / "kiosk" / "session.sh").read_text("utf-8")
    assert '--mode "$mode"' in session and "--config" in session  # the counter: kiosk.toml
