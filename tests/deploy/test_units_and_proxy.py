"""deploy/: the systemd units pass ``systemd-analyze verify``, the install scripts run (into
a folder: this machine has no systemd as PID 1 and no console to give the kiosk), and the
nginx config really proxies a real server: TLS, HTTP sent to HTTPS, a long-poll held
open and answered, the client's own X-Forwarded-For never passed on (issue 16)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests
import urllib3

from tests.deploy.nginx import write_nginx_conf
from tests.utils.servers import REPO, free_port, start_server

DEPLOY = REPO / "deploy"
UNITS = [
    *sorted((DEPLOY / "server").glob("*.service")),
    *sorted((DEPLOY / "server").glob("*.timer")),
    *sorted((DEPLOY / "kiosk").glob("*.service")),
]


def _verify(units_dir: Path, names: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *[str(units_dir / n) for n in names]],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"},
    )


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="needs systemd-analyze")
def test_units_verify(tmp_path: Path) -> None:
    """The units as installed, with the app's paths pointing at this checkout's venv."""
    assert len(UNITS) == 5
    venv = REPO / ".venv"
    out = tmp_path / "units"
    out.mkdir()
    names: list[str] = []
    for unit in UNITS:
        text = unit.read_text("utf-8")
        text = text.replace("/opt/residents-home/.venv", str(venv))
        text = text.replace("/opt/residents-home", str(REPO))
        name = unit.name.replace("@.service", "@kiosk.service")
        (out / name).write_text(text, "utf-8")
        names.append(name)
    if not Path("/usr/bin/xinit").exists():
        pytest.fail("xinit missing: scripts/system-deps.sh installs it")
    done = _verify(out, names)
    problems = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        # This machine is not booted with systemd: units it does not have are fine.
        if line.strip() and "not found" not in line and "Failed to" not in line
    ]
    assert not problems, "\n".join(problems)
    # A broken unit is caught (the check can fail).
    (out / "broken.service").write_text("[Service]\nExecStart=relative/path\nRestart=sometimes\n")
    bad = _verify(out, ["broken.service"])
    assert bad.returncode != 0 or "broken.service" in bad.stderr


def test_units_say_what_the_issue_asks() -> None:
    server = (DEPLOY / "server" / "kiosk-server.service").read_text()
    kiosk = (DEPLOY / "kiosk" / "residents-home-kiosk@.service").read_text()
    for unit in (server, kiosk):
        assert "Type=notify" in unit and "WatchdogSec=" in unit and "NotifyAccess=all" in unit
        assert "StartLimitBurst=" in unit and "Restart=" in unit
    assert "OnFailure=residents-home-kiosk-down@%i.service" in kiosk
    assert "-s 0 -dpms" in kiosk  # no screen saver, no power saving
    timer = (DEPLOY / "server" / "kiosk-server-backup.timer").read_text()
    assert "OnCalendar=" in timer and "Persistent=true" in timer
    assert "--keep" in (DEPLOY / "server" / "kiosk-server-backup.service").read_text()


@pytest.mark.slow
@pytest.mark.parametrize("side", ["server", "kiosk"])
def test_install_script_into_a_folder(tmp_path: Path, side: str) -> None:
    root = tmp_path / "root"
    env = {
        **os.environ,
        "DESTDIR": str(root),
        "NO_APT": "1",
        "NO_SYSTEMCTL": "1",
        "PYTHON": shutil.which("python3") or "python3",
    }
    args = ["--mode", "display"] if side == "kiosk" else ["--hostname", "hall.example.cn"]
    done = subprocess.run(
        ["bash", str(DEPLOY / side / "install.sh"), *args],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    prefix = root / "opt" / "residents-home"
    assert (prefix / ".venv" / "bin" / ("kiosk-server" if side == "server" else "kiosk")).exists()
    assert not (prefix / ".git").exists() and not (prefix / "data").exists()
    etc = root / "etc" / "residents-home"
    if side == "server":
        conf = (etc / "server.toml").read_text()
        assert 'secret_key = "change-me"' not in conf and "trusted_proxies" in conf
        assert 'data_key = ""' not in conf and "data_key = " in conf  # a fresh one
        assert (etc / "tls" / "server.crt").exists()
        assert (root / "etc/systemd/system/kiosk-server.service").exists()
        assert (root / "etc/nginx/sites-enabled/residents-home").exists()
        # The installed server refuses to serve a database that was never created.
        check = subprocess.run(
            [
                str(prefix / ".venv/bin/kiosk-server"),
                "serve",
                "--config",
                str(etc / "server.toml"),
                "--data-dir",
                str(tmp_path / "nodb"),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert check.returncode != 0 and "kiosk-server migrate" in check.stderr
    else:
        assert (etc / "kiosk.toml").exists()
        assert (root / "etc/systemd/system/residents-home-kiosk@.service").exists()
        assert "allowed_users=anybody" in (root / "etc/X11/Xwrapper.config").read_text()
        version = subprocess.run(
            [str(prefix / ".venv/bin/kiosk"), "--version"], capture_output=True, text=True
        )
        assert version.returncode == 0, version.stderr
    # Idempotent: a second run changes nothing it should keep.
    before = (etc / ("server.toml" if side == "server" else "kiosk.toml")).read_text()
    again = subprocess.run(
        ["bash", str(DEPLOY / side / "install.sh"), *args],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert again.returncode == 0, again.stderr[-2000:]
    assert (etc / ("server.toml" if side == "server" else "kiosk.toml")).read_text() == before


@pytest.mark.skipif(not shutil.which("nginx"), reason="needs nginx (scripts/system-deps.sh)")
def test_nginx_in_front_of_a_real_server(tmp_path: Path) -> None:
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    server = start_server(tmp_path / "data")
    http_port, https_port = free_port(), free_port()
    tls = tmp_path / "tls"
    tls.mkdir()
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(tls / "server.key"),
            "-out",
            str(tls / "server.crt"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    site = (DEPLOY / "server" / "nginx-residents-home.conf").read_text()
    site = site.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{server.port};")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    site = "\n".join(line for line in site.splitlines() if "[::]" not in line)
    site = site.replace("/etc/residents-home/tls", str(tls))
    site = site.replace("shared:residents_home:10m", "shared:residents_home_test:1m")
    (tmp_path / "site.conf").write_text(site)
    write_nginx_conf(tmp_path, f"  include {tmp_path}/site.conf;\n")
    test = subprocess.run(
        ["nginx", "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert test.returncode == 0, test.stderr
    nginx = subprocess.Popen(
        ["nginx", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"https://127.0.0.1:{https_port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if requests.get(f"{base}/api/v1/health", verify=False, timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, (tmp_path / "error.log").read_text()
            time.sleep(0.2)
        plain = requests.get(
            f"http://127.0.0.1:{http_port}/admin/", allow_redirects=False, timeout=5
        )
        assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")
        token = next(iter(server.credentials["kiosks"].values()))["token"]
        kiosk = {"Authorization": f"Bearer {token}"}
        first = requests.get(
            f"{base}/api/v1/kiosk/events",
            params={"after": 0},
            headers=kiosk,
            verify=False,
            timeout=10,
        )
        assert first.status_code == 200, first.text
        last = first.json()["last_seq"]
        started = time.monotonic()
        held = requests.get(
            f"{base}/api/v1/kiosk/events",
            params={"after": last, "wait": 4},
            headers=kiosk,
            verify=False,
            timeout=30,
        )
        waited = time.monotonic() - started
        assert held.status_code == 200 and held.json()["events"] == []
        assert waited >= 3.5, f"the long-poll was not held through nginx ({waited:.1f} s)"
        # Media and the ready check come through too.
        assert requests.get(f"{base}/api/v1/ready", verify=False, timeout=10).status_code == 200
    finally:
        nginx.terminate()
        nginx.wait(timeout=20)
        server.stop()
