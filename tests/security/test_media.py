"""Issue 10 §2: uploaded media can no longer run script on the admin origin or take a
kiosk down. Against a real server (uvicorn, SQLite file), real Chromium and the real
kiosk under Xvfb.

* The reported attack, end to end: a hall-staff API token uploads an SVG with a
  ``<script>`` that creates a district-admin account, names it as a staff photo, and the
  district admin opens the media view in Chromium. The upload, the naming and the view
  are all refused, also for an SVG row already in the database from before; no script
  runs and no account appears. A control runs the same script with the admin's rights
  (through DevTools) and does create an account, so the payload is real.
* The 48 KB 20000×20000 PNG is refused on every path: API upload, admin photo form,
  content (API PUT and admin publish) naming its sha, serving, and the seeding door.
* A polyglot (a real PNG with an HTML page after it) is served only as ``image/png``
  with ``nosniff`` and ``default-src 'none'; sandbox``: opened in Chromium, nothing runs;
  a JPEG declared as PNG is served as the JPEG it is.
* The real kiosk started on a cache that holds the bomb as a staff photo shows the board
  with a placeholder for that photo and stays far below the 2.8 GB seen.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

from tests.utils.admin_web import AdminClient, admin_client, kiosk_content, staff_client
from tests.utils.logins import staff_token
from tests.utils.servers import RunningServer, start_server

HALL = "youyi-yuan"
TIMEOUT = 30
MEDIA_CSP = "default-src 'none'; sandbox"

# What the attacker's SVG ran: read /admin/accounts, take the CSRF token, make a
# district administrator. NAME is filled in per use.
PAYLOAD = """async () => {
  const page = await (await fetch('/admin/accounts', {credentials: 'same-origin'})).text();
  const csrf = page.match(/name="csrf" value="([^"]+)"/)[1];
  const body = new URLSearchParams({csrf: csrf, username: 'NAME', password: 'taken-over-2026',
    role: 'district_admin', display_name: 'x', hall_id: ''});
  await fetch('/admin/accounts/new', {method: 'POST', body: body, credentials: 'same-origin'});
  document.title = 'PWNED';
}"""


def evil_svg(name: str) -> bytes:
    script = PAYLOAD.replace("NAME", name)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
        f"<script>({script})()</script><circle cx='50' cy='50' r='40'/></svg>"
    ).encode()


def png(width: int, height: int, mode: str = "RGB", color: Any = 0) -> bytes:
    out = io.BytesIO()
    Image.new(mode, (width, height), color).save(out, "PNG")
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("media-security"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    data = png(20_000, 20_000, "1")  # 400 megapixels
    assert len(data) < 60_000  # the 48 KB of the report
    return data


def api_token(server: RunningServer, role: str = "staff") -> dict[str, str]:
    return {"Authorization": f"Bearer {staff_token(server, None if role == 'admin' else HALL)}"}


def kiosk_headers(server: RunningServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.credentials['kiosks'][HALL]['token']}"}


def upload(server: RunningServer, data: bytes, content_type: str) -> requests.Response:
    return requests.post(
        f"{server.api}/media",
        data=data,
        headers={**api_token(server), "Content-Type": content_type},
        timeout=TIMEOUT,
    )


def put_with_photo(server: RunningServer, digest: str) -> requests.Response:
    """The hall's published content with staff[0].photo = ``digest``, PUT back."""
    content = kiosk_content(server, HALL)["content"]
    content["staff"][0]["photo"] = digest
    return requests.put(
        f"{server.api}/halls/{HALL}/content", json=content, headers=api_token(server), timeout=60
    )


def assert_refused_422(r: requests.Response) -> None:
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "unknown_media" and error["field"] == "staff[0].photo", error


def sqlite_of(server: RunningServer) -> sqlite3.Connection:
    return sqlite3.connect(server.data_dir / "kiosk.sqlite3", timeout=30)


def plant_old_row(server: RunningServer, data: bytes, mime: str) -> str:
    """A media row as a server before this check stored it (the upload was accepted)."""
    with sqlite_of(server) as conn:
        conn.execute(
            "INSERT OR IGNORE INTO media (sha256, mime, size, data, created_at) "
            "VALUES (?, ?, ?, ?, '2026-01-01 00:00:00.000000')",
            (sha(data), mime, len(data), data),
        )
    return sha(data)


def draft_with_photo(server: RunningServer, staff: AdminClient, digest: str) -> None:
    """The hall's admin draft naming ``digest`` as staff[0]'s photo, as an old server's
    draft could (made by a real edit, then the photo field set in the file)."""
    person = kiosk_content(server, HALL)["content"]["staff"][0]
    r = staff.post(f"/admin/halls/{HALL}/staff/{person['id']}/photo/remove")
    assert r.status_code == 303, r.text
    with sqlite_of(server) as conn:
        (text,) = conn.execute(
            "SELECT content FROM admin_drafts WHERE hall_id = ?", (HALL,)
        ).fetchone()
        content = json.loads(text)
        content["staff"][0]["photo"] = digest
        conn.execute(
            "UPDATE admin_drafts SET content = ? WHERE hall_id = ?",
            (json.dumps(content, ensure_ascii=False), HALL),
        )


def account_names(server: RunningServer) -> set[str]:
    with sqlite_of(server) as conn:
        return {r[0] for r in conn.execute("SELECT username FROM staff_accounts")}


def admin_page(browser: Any, server: RunningServer) -> tuple[Any, Any, list[str]]:
    """A Chromium page logged in as the district admin, and its console messages."""
    context = browser.new_context()
    context.set_default_timeout(30_000)
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text))
    page.on("dialog", lambda dialog: console.append(f"dialog: {dialog.message}"))
    login = server.credentials["admin"]
    page.goto(f"{server.base_url}/admin/login")
    page.fill("#username", login["username"])
    page.fill("#password", login["password"])
    page.click("button[type=submit]")
    page.wait_for_url("**/admin/halls")
    return context, page, console


def test_svg_script_attack_fails_end_to_end(server: RunningServer, browser: Any) -> None:
    svg = evil_svg("svg-attacker")
    digest = sha(svg)

    # 1. The upload through the API: refused by its bytes, whatever it is declared as.
    for declared in ("image/svg+xml", "image/png", "application/octet-stream"):
        r = upload(server, svg, declared)
        assert r.status_code == 415, (declared, r.text)
        assert r.json()["error"]["code"] == "unsupported_media"
        assert "PNG、JPEG 或 WebP" in r.json()["error"]["message"]
    # 2. Naming it as a staff photo: 422 naming the field.
    assert_refused_422(put_with_photo(server, digest))

    # 3. A database from before the check already holds the SVG and a draft names it.
    plant_old_row(server, svg, "image/svg+xml")
    assert_refused_422(put_with_photo(server, digest))
    staff = staff_client(server, HALL)
    draft_with_photo(server, staff, digest)
    version = kiosk_content(server, HALL)["version"]
    message = staff.flash(staff.post(f"/admin/halls/{HALL}/publish"))
    assert message.startswith("未发布") and "staff[0].photo" in message, message
    assert kiosk_content(server, HALL)["version"] == version
    r = requests.get(f"{server.api}/media/{digest}", headers=kiosk_headers(server), timeout=30)
    assert r.status_code == 404 and b"<script" not in r.content

    # 4. The district admin opens the media view in Chromium: nothing is served, no
    #    script runs, no account is made.
    context, page, console = admin_page(browser, server)
    try:
        answer = page.goto(f"{server.base_url}/admin/halls/{HALL}/media/{digest}")
        assert answer is not None and answer.status == 404
        assert "svg-attacker" not in answer.text()  # the SVG is not what came back
        page.wait_for_timeout(1500)
        assert page.title() != "PWNED"
        assert "svg-attacker" not in account_names(server)

        # Control: the same script with the admin's rights (DevTools, past any CSP) does
        # make the account, so the refusal above is what stopped it.
        page.goto(f"{server.base_url}/admin/accounts")
        page.evaluate(PAYLOAD.replace("NAME", "svg-control"))
        deadline = time.monotonic() + 10
        while "svg-control" not in account_names(server) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "svg-control" in account_names(server)
    finally:
        context.close()
        staff.post(f"/admin/halls/{HALL}/discard")
    assert "svg-attacker" not in account_names(server)
    assert not [c for c in console if c.startswith("dialog")]


def test_pixel_bomb_refused_on_every_path(server: RunningServer, bomb: bytes) -> None:
    digest = sha(bomb)
    # API upload.
    r = upload(server, bomb, "image/png")
    assert r.status_code == 415, r.text
    assert "20000×20000" in r.json()["error"]["message"]
    # Admin photo form.
    staff = staff_client(server, HALL)
    person = kiosk_content(server, HALL)["content"]["staff"][1]
    r = staff.post(
        f"/admin/halls/{HALL}/staff/{person['id']}/photo",
        files={"photo": ("bomb.png", bomb, "image/png")},
    )
    assert "图片尺寸过大" in staff.flash(r)
    with sqlite_of(server) as conn:
        assert conn.execute("SELECT 1 FROM media WHERE sha256 = ?", (digest,)).fetchone() is None
    # Content naming it (API PUT), before and after an old database holds the row.
    assert_refused_422(put_with_photo(server, digest))
    plant_old_row(server, bomb, "image/png")
    assert_refused_422(put_with_photo(server, digest))
    # Admin publish of a draft naming it.
    draft_with_photo(server, staff, digest)
    message = staff.flash(staff.post(f"/admin/halls/{HALL}/publish"))
    assert message.startswith("未发布") and "staff[0].photo" in message, message
    staff.post(f"/admin/halls/{HALL}/discard")
    # Never served: not to a kiosk, not in the admin view.
    r = requests.get(f"{server.api}/media/{digest}", headers=kiosk_headers(server), timeout=30)
    assert r.status_code == 404
    assert staff.get(f"/admin/halls/{HALL}/media/{digest}").status_code == 404
    # The seeding door (the demo loader's and every other caller's store) refuses it too.
    code = (
        "import sys, sqlalchemy as sa\n"
        "from kiosk.core.media import MediaRefused\n"
        "from kiosk.server.media import store_media\n"
        "engine = sa.create_engine('sqlite:///' + sys.argv[1])\n"
        "with engine.begin() as conn:\n"
        "    try:\n"
        "        store_media(conn, open(sys.argv[2], 'rb').read())\n"
        "    except MediaRefused as exc:\n"
        "        print('refused:', exc)\n"
    )
    bomb_file = server.data_dir / "bomb.png"
    bomb_file.write_bytes(bomb)
    copy = server.data_dir / "copy.sqlite3"
    with sqlite_of(server) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    done = subprocess.run(
        [sys.executable, "-c", code, str(copy), str(bomb_file)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "refused: 图片尺寸过大" in done.stdout, done.stdout + done.stderr


def test_polyglot_and_wrong_declared_type(server: RunningServer, browser: Any) -> None:
    # A real JPEG declared as a PNG: stored and served as what its bytes are.
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(out, "JPEG")
    jpeg = out.getvalue()
    r = upload(server, jpeg, "image/png")
    assert r.status_code == 201 and r.json()["mime"] == "image/jpeg", r.text
    got = requests.get(
        f"{server.api}/media/{r.json()['sha256']}", headers=kiosk_headers(server), timeout=30
    )
    assert got.status_code == 200 and got.content == jpeg
    assert got.headers["Content-Type"] == "image/jpeg"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Security-Policy"] == MEDIA_CSP

    # Refused polyglots: an SVG behind a PNG signature, a GIF header with script.
    fake_png = b"\x89PNG\r\n\x1a\n" + evil_svg("fake-png")
    assert upload(server, fake_png, "image/png").status_code == 415
    assert upload(server, b"GIF89a/*" + b"*/=1;alert(1)//" * 20, "image/gif").status_code == 415

    # A real PNG with an HTML page after it: a valid image, so accepted as image/png; named
    # as a photo and opened in Chromium from the admin view, it stays an image.
    polyglot = png(40, 40, "RGB", (200, 30, 30)) + (
        b"<html><body><script>(" + PAYLOAD.replace("NAME", "png-attacker").encode() + b")()"
        b"</script></body></html>"
    )
    r = upload(server, polyglot, "text/html")
    assert r.status_code == 201 and r.json()["mime"] == "image/png", r.text
    digest = r.json()["sha256"]
    assert put_with_photo(server, digest).status_code == 200
    context, page, _console = admin_page(browser, server)
    try:
        answer = page.goto(f"{server.base_url}/admin/halls/{HALL}/media/{digest}")
        assert answer is not None and answer.status == 200
        headers = answer.headers
        assert headers["content-type"] == "image/png"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["content-security-policy"] == MEDIA_CSP
        page.wait_for_timeout(1500)
        assert page.title() != "PWNED"
        # Chromium shows it as an image document, the HTML never parsed.
        assert page.evaluate("document.querySelector('img') !== null")
        assert page.evaluate("document.querySelector('script') === null")
    finally:
        context.close()
    assert "png-attacker" not in account_names(server)


_KIOSK_CHILD = r"""
import json, os, resource, sys, tempfile
os.environ.update(KIVY_NO_ARGS="1", KIVY_NO_CONSOLELOG="1", KIVY_NO_FILELOG="1",
                  KIVY_NO_CONFIG="1", KIVY_HOME=tempfile.mkdtemp(prefix="kivy-home-"))
from pathlib import Path
from kiosk.cli import configure_kivy
from kiosk.settings import load_settings
data = Path(sys.argv[1])
configure_kivy(load_settings(None, windowed=True, size=(1920, 1080)))
settings = load_settings(None, server_url="http://127.0.0.1:9", token="t", data_dir=data,
                         windowed=False, orientation="auto")
import logging
store_log = logging.getLogger("kiosk.sync.store")
store_log.addHandler(logging.StreamHandler(sys.stdout))
store_log.setLevel(logging.INFO)
from kiosk.app import KioskApp
from devkit.kiosk_driver import start_app
from kiosk.feed import make_feed
app = KioskApp(settings=settings, feed=make_feed(settings))
driver = start_app(app)
app.open("staff")
driver.settle()
driver.pump(20)
cards = [w for w in app.root.walk() if type(w).__name__ == "StaffCard"]
print("RESULT " + json.dumps({
    "screen": app.current_name,
    "photos": {c.name: c.photo for c in cards},
    "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}, ensure_ascii=False))
app.feed.stop()
app.stop()
"""


def _seed_kiosk_cache(root: Path, photos: dict[int, bytes]) -> tuple[list[str], dict[str, str]]:
    """The first demo hall in a kiosk cache, staff[i] given ``photos[i]`` (stored the way
    a sync stores media: hash-checked, written as they came). Names and sha by index."""
    from kiosk.core.demo import demo_media, load_demo_halls
    from kiosk.sync.store import ContentStore

    hall = load_demo_halls()[0]
    media = {k: v[1] for k, v in demo_media().items()}
    doc = json.loads(hall.model_dump_json())
    for index, data in photos.items():
        doc["staff"][index]["photo"] = sha(data)
        media[sha(data)] = data
    raw = json.dumps(
        {
            "hall_id": hall.hall.id,
            "version": 1,
            "published_at": "2026-11-26T08:00:00+08:00",
            "content": doc,
        },
        ensure_ascii=False,
    ).encode()
    ContentStore(root / "content").apply(raw, lambda digest: media[digest])
    names = [s["name"] for s in doc["staff"]]
    return names, {s["name"]: s.get("photo") or "" for s in doc["staff"]}


def _run_kiosk(data: Path) -> tuple[dict[str, Any], str]:
    screen = ["xvfb-run", "-a", "-s", "-screen 0 1920x1080x24"]
    done = subprocess.run(
        [*screen, sys.executable, "-c", _KIOSK_CHILD, str(data)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :]), done.stdout


def test_real_kiosk_on_a_cache_holding_a_bomb(tmp_path: Path, bomb: bytes) -> None:
    good = png(300, 300, "RGB", (30, 160, 90))
    names, _ = _seed_kiosk_cache(tmp_path, {0: bomb, 1: good})
    result, log = _run_kiosk(tmp_path)

    assert result["screen"] == "staff"
    photos = result["photos"]
    assert set(photos) == set(names)
    assert photos[names[0]] == ""  # the bomb: left out, the initial shown instead
    assert photos[names[1]].endswith(sha(good))  # a good photo beside it is drawn
    assert "left out: not a drawable image" in log and "20000×20000" in log
    # A kiosk on the demo hall peaks at a few hundred MB; the bomb decoded is 2.8 GB.
    assert result["maxrss_mb"] < 700, result
    print(f"kiosk peak RSS with the bomb in its cache: {result['maxrss_mb']:.0f} MB")


def test_media_and_page_headers(server: RunningServer) -> None:
    admin = admin_client(server)
    content = kiosk_content(server, HALL)["content"]
    digest = next(s["photo"] for s in content["staff"] if s.get("photo"))
    for r in (
        requests.get(f"{server.api}/media/{digest}", headers=kiosk_headers(server), timeout=30),
        admin.get(f"/admin/halls/{HALL}/media/{digest}"),
    ):
        assert r.status_code == 200
        assert r.headers["Content-Type"] == "image/png"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Content-Security-Policy"] == MEDIA_CSP
    page = admin.get("/admin/halls")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    # Redirects, error pages and static files under /admin carry it too.
    for path in ("/admin/static/admin.css", "/admin/halls/no-such-hall", "/admin"):
        assert admin.get(path, allow_redirects=False).headers["Content-Security-Policy"] == csp
    phone = requests.get(f"{server.base_url}/t/NOPE", timeout=30)
    nonce = re.search(r'<style nonce="([^"]+)"', phone.text)
    assert nonce is not None
    assert f"style-src 'nonce-{nonce.group(1)}'" in phone.headers["Content-Security-Policy"]
    again = requests.get(f"{server.base_url}/t/NOPE", timeout=30)
    assert nonce.group(1) not in again.text  # a new nonce every response
