"""Settings (sources, the secret rule) and the ``kiosk-server`` commands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests
from pydantic import ValidationError

from kiosk.server.settings import build_settings
from tests.utils.server_api import Hall, assert_error, staff_login
from tests.utils.servers import REPO, RunningServer, run_cli


def test_default_secret_refused_outside_demo_mode(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="secret_key"):
        build_settings(data_dir=tmp_path)
    with pytest.raises(ValidationError, match="secret_key"):
        build_settings(data_dir=tmp_path, secret_key="")
    with pytest.raises(ValidationError, match="secret_key"):
        build_settings(data_dir=tmp_path, secret_key="short")
    assert build_settings(data_dir=tmp_path, demo_mode=True).demo_mode
    assert build_settings(secret_key="x" * 32).secret_key == "x" * 32


def test_file_then_environment_then_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "server.toml"
    config.write_text(
        'secret_key = "from-the-file-0123456789"\nport = 8100\ndefault_service_minutes = 7\n'
        'public_base_url = "https://hall.example.cn/"\n',
        "utf-8",
    )
    settings = build_settings(config)
    assert (settings.port, settings.default_service_minutes) == (8100, 7)
    assert settings.base_url == "https://hall.example.cn"
    monkeypatch.setenv("KIOSK_SERVER_PORT", "8200")
    assert build_settings(config).port == 8200
    assert build_settings(config, port=8300).port == 8300
    assert build_settings(config).sqlalchemy_url.startswith("sqlite:///")
    example = REPO / "config" / "server.example.toml"
    with pytest.raises(ValidationError):
        build_settings(example)  # the example keeps the placeholder secret
    with pytest.raises(FileNotFoundError):
        build_settings(tmp_path / "missing.toml")


def test_serve_refuses_the_placeholder_secret(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kiosk.server.cli", "serve", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert done.returncode != 0
    assert "secret_key" in done.stderr


def test_create_admin_then_log_in(server: RunningServer) -> None:
    run_cli(
        "create-admin",
        "second-admin",
        "--password-stdin",
        data_dir=server.data_dir,
        database_url=server.database_url,
        stdin="long-password-2\n",
    )
    admin = staff_login(server, "second-admin", "long-password-2")
    assert admin.get("/halls").status_code == 200
    with pytest.raises(RuntimeError, match="exists already"):
        run_cli(
            "create-admin",
            "second-admin",
            "--password-stdin",
            data_dir=server.data_dir,
            database_url=server.database_url,
            stdin="long-password-2\n",
        )
    with pytest.raises(RuntimeError, match="at least 8"):
        run_cli(
            "create-admin",
            "third-admin",
            "--password-stdin",
            data_dir=server.data_dir,
            database_url=server.database_url,
            stdin="short\n",
        )


def test_cli_refuses_unknown_halls(server: RunningServer) -> None:
    with pytest.raises(RuntimeError, match="unknown hall"):
        run_cli(
            "add-kiosk", "no-such-hall", data_dir=server.data_dir, database_url=server.database_url
        )
    with pytest.raises(RuntimeError, match="unknown hall"):
        run_cli(
            "add-staff",
            "someone",
            "--hall",
            "no-such-hall",
            "--password-stdin",
            data_dir=server.data_dir,
            database_url=server.database_url,
            stdin="long-password-3\n",
        )


def test_migrate_and_load_demo_are_idempotent(server: RunningServer) -> None:
    out = run_cli("migrate", data_dir=server.data_dir, database_url=server.database_url).stdout
    assert "up to date" in out
    out = run_cli("load-demo", data_dir=server.data_dir, database_url=server.database_url).stdout
    assert "nothing loaded" in out


def test_new_kiosks_are_numbered_within_their_hall(hall: Hall) -> None:
    out = run_cli(
        "add-kiosk", hall.id, data_dir=hall.server.data_dir, database_url=hall.server.database_url
    ).stdout
    assert f"(no. {hall.kiosk_no + 1} of {hall.id})" in out
    token = out.strip().splitlines()[-1]
    r = requests.get(
        f"{hall.server.api}/kiosk/content", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert r.status_code == 200
    assert_error(
        requests.get(
            f"{hall.server.api}/kiosk/content",
            headers={"Authorization": f"Bearer {token}x"},
            timeout=30,
        ),
        401,
    )
