"""Screenshots of every admin page at phone (390×844) and desktop (1366×900) widths.

Starts a demo server in a temporary folder (or uses ``--base-url`` with
``--credentials``), issues a few tickets so the console and statistics have something
to show, then saves ``OUT/<page>-<width>.png``. Uses Debian's Chromium, headless.

    .venv/bin/python scripts/admin_screenshots.py --out admin-screenshots
"""

from __future__ import annotations

import argparse
import json
import tempfile
import uuid
from pathlib import Path
from typing import Any

import requests

from devkit.browser import CHROMIUM, CHROMIUM_ARGS
from devkit.servers import start_server

SIZES = {"phone": (390, 844), "desktop": (1366, 900)}


def _seed_tickets(base_url: str, token: str, queue: str, count: int = 5) -> None:
    for i in range(count):
        requests.post(
            f"{base_url}/api/v1/tickets",
            json={"queue": queue, "priority": i == 0},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
            timeout=30,
        ).raise_for_status()


def _first_item(page: Any, list_url: str) -> str:
    """The id of the first item linked from a list page (not the "new" link)."""
    text = page.context.request.get(list_url).text()
    prefix = 'href="' + list_url.split("://", 1)[1].split("/", 1)[1].join(["/", "/"])
    ids = [part.split('"')[0] for part in text.split(prefix)[1:]]
    return next(i for i in ids if i != "new" and "/" not in i)


def _login(page: Any, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/admin/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")


def shoot(base_url: str, creds: dict[str, Any], out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    hall = sorted(creds["staff"])[0]
    staff = creds["staff"][hall]
    saved: list[Path] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for size_name, (width, height) in SIZES.items():
                ctx = browser.new_context(viewport={"width": width, "height": height})
                page = ctx.new_page()
                page.goto(f"{base_url}/admin/login")
                shot = out / f"login-{size_name}.png"
                page.screenshot(path=str(shot), full_page=True)
                saved.append(shot)
                _login(page, base_url, staff["username"], staff["password"])
                counters = page.context.request.get(f"{base_url}/admin/counters").text()
                counter_id = counters.split('href="/admin/counters/')[1].split('"')[0]
                queues = counters.split("队列 ")[1].split("<")[0].strip().split("、")
                _seed_tickets(base_url, creds["kiosks"][hall]["token"], queues[0])
                service_id = _first_item(page, f"{base_url}/admin/halls/{hall}/services")
                room_id = _first_item(page, f"{base_url}/admin/halls/{hall}/rooms")
                pages = {
                    "hall": f"/admin/halls/{hall}",
                    "hall-info": f"/admin/halls/{hall}/info",
                    "services": f"/admin/halls/{hall}/services",
                    "service-edit": f"/admin/halls/{hall}/services/{service_id}",
                    "staff": f"/admin/halls/{hall}/staff",
                    "rooms": f"/admin/halls/{hall}/rooms",
                    "room-edit": f"/admin/halls/{hall}/rooms/{room_id}",
                    "notices": f"/admin/halls/{hall}/notices",
                    "notice-new": f"/admin/halls/{hall}/notices/new",
                    "preview": f"/admin/halls/{hall}/preview",
                    "versions": f"/admin/halls/{hall}/versions",
                    "audit": f"/admin/halls/{hall}/audit",
                    "counters": "/admin/counters",
                    "console": f"/admin/counters/{counter_id}",
                    "fleet": "/admin/fleet",
                    "stats": "/admin/stats",
                }
                for name, path in pages.items():
                    page.goto(base_url + path)
                    if name == "console":
                        with page.expect_navigation():
                            page.keyboard.press("n")  # call someone: the console has a ticket
                    shot = out / f"{name}-{size_name}.png"
                    page.screenshot(path=str(shot), full_page=True)
                    saved.append(shot)
                ctx.close()
                ctx = browser.new_context(viewport={"width": width, "height": height})
                page = ctx.new_page()
                _login(page, base_url, creds["admin"]["username"], creds["admin"]["password"])
                for name, path in {
                    "halls": "/admin/halls",
                    "accounts": "/admin/accounts",
                    "kiosks": "/admin/kiosks",
                    "fleet-admin": "/admin/fleet",
                    "stats-admin": "/admin/stats",
                }.items():
                    page.goto(base_url + path)
                    shot = out / f"{name}-{size_name}.png"
                    page.screenshot(path=str(shot), full_page=True)
                    saved.append(shot)
                ctx.close()
        finally:
            browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("admin-screenshots"))
    parser.add_argument("--base-url")
    parser.add_argument("--credentials", type=Path, help="demo-credentials.json of that server")
    args = parser.parse_args()
    if args.base_url:
        creds = json.loads(args.credentials.read_text("utf-8"))
        saved = shoot(args.base_url.rstrip("/"), creds, args.out)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            server = start_server(Path(tmp) / "data")
            try:
                saved = shoot(server.base_url, server.credentials, args.out)
            finally:
                server.stop()
    for path in saved:
        print(path)


if __name__ == "__main__":
    main()
