"""Kiosk settings: the example file, command-line overrides, and refusals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kiosk.cli import build_parser, settings_from_args
from kiosk.settings import SettingsError, load_settings

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "kiosk.example.toml"


def test_example_file_loads_with_the_documented_defaults() -> None:
    s = load_settings(EXAMPLE)
    assert s.server_url == "http://127.0.0.1:8000"
    assert s.idle_seconds == 90
    assert s.orientation == "auto"
    assert s.maintenance_pin.isdigit()
    assert s.data_dir.is_absolute() and s.data_dir.parts[-2:] == ("data", "kiosk")
    assert not s.windowed and not s.demo


def test_command_line_overrides_the_file(tmp_path: Path) -> None:
    args = build_parser().parse_args(
        [
            "--config",
            str(EXAMPLE),
            "--server",
            "http://hall.local:9000/",
            "--token",
            "T",
            "--data-dir",
            str(tmp_path),
            "--orientation",
            "portrait",
            "--size",
            "1080x1920",
            "--windowed",
        ]
    )
    s = settings_from_args(args)
    assert s.server_url == "http://hall.local:9000"
    assert s.token == "T"
    assert s.data_dir == tmp_path
    assert s.orientation == "portrait"
    assert s.size == (1080, 1920) and s.window_size() == (1080, 1920)
    assert s.windowed


def test_no_server_means_demo_content() -> None:
    s = load_settings(None, server_url="")
    assert s.demo


def test_hall_timezone_defaults_to_the_halls_zone_and_empty_means_the_systems() -> None:
    from zoneinfo import ZoneInfo

    from kiosk.core.clock import HALL_TZ

    assert load_settings(EXAMPLE).zone() == HALL_TZ == load_settings().zone()
    assert load_settings(None, hall_timezone="Asia/Urumqi").zone() == ZoneInfo("Asia/Urumqi")
    system = load_settings(None, hall_timezone="").zone()
    assert system.utcoffset(None) == dt.datetime.now().astimezone().utcoffset()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"maintenance_pin": "12"}, "maintenance_pin"),
        ({"maintenance_pin": "abcd"}, "maintenance_pin"),
        ({"idle_seconds": 0}, "idle_seconds"),
        ({"idle_seconds": "soon"}, "idle_seconds"),
        ({"server_url": "ftp://x"}, "server_url"),
        ({"orientation": "diagonal"}, "orientation"),
        ({"size": "big"}, "size"),
        ({"mode": "party"}, "mode"),
        ({"hall_timezone": "Mars/Olympus"}, "hall_timezone"),
    ],
)
def test_bad_values_are_refused_by_name(override, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SettingsError, match=message):
        load_settings(None, **override)


def test_unknown_keys_and_broken_files_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "k.toml"
    bad.write_text('[kiosk]\nserver = "http://x"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="不认识的设置 server"):
        load_settings(bad)
    bad.write_text("[kiosk\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="格式不对"):
        load_settings(bad)
    with pytest.raises(SettingsError, match="找不到设置文件"):
        load_settings(tmp_path / "missing.toml")


def test_cli_reports_bad_settings_with_exit_code_2(capsys) -> None:  # type: ignore[no-untyped-def]
    from kiosk.cli import main

    assert main(["--server", "nonsense"]) == 2
    assert "server_url" in capsys.readouterr().err
