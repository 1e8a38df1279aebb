"""The server's front door for a newcomer: ``/`` leads to the admin web, and ``/docs``
(Swagger UI) works in a hall with no internet — its files come from the installed
package, checked in Debian's Chromium with every request off loopback refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.utils.browser import CHROMIUM_ARGS
from tests.utils.servers import RunningServer, start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("front-door"))
    try:
        yield running
    finally:
        running.kill()


def test_root_redirects_to_the_admin_web(server: RunningServer) -> None:
    r = requests.get(f"{server.base_url}/", allow_redirects=False, timeout=30)
    assert r.status_code == 303 and r.headers["location"] == "/admin/"
    followed = requests.get(f"{server.base_url}/", timeout=30)
    assert followed.status_code == 200 and "text/html" in followed.headers["content-type"]
    assert "登录" in followed.text  # the admin login page, not raw JSON


def test_docs_render_with_the_network_blocked(server: RunningServer, tmp_path: Path) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    refused: list[str] = []

    def only_loopback(route: Any) -> None:
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost", "::1"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort("internetdisconnected")

    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            context = chromium.new_context(viewport={"width": 1280, "height": 900})
            context.set_default_timeout(30_000)
            context.route("**/*", only_loopback)
            page = context.new_page()
            page.goto(f"{server.base_url}/docs")
            # Swagger UI built its DOM: the title from our OpenAPI and an operation.
            title = page.wait_for_selector(".swagger-ui .info .title")
            assert title is not None and "居民之家" in title.inner_text()
            page.wait_for_selector(".swagger-ui .opblock")
            assert page.locator(".swagger-ui .opblock").count() > 10
            page.screenshot(path=str(tmp_path / "docs.png"))
        finally:
            chromium.close()
    assert refused == [], f"/docs reached off the machine: {refused}"
