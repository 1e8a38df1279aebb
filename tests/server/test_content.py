"""Health, hall content publishing, the kiosk's snapshot with ETag/304, and media."""

from __future__ import annotations

import hashlib

import requests

from tests.sync.snapshots import photo
from tests.utils.server_api import Hall, assert_error, hall_content
from tests.utils.servers import RunningServer

PNG = photo("test_content")  # a real 8×4 PNG: the server checks what it stores


def test_health(server: RunningServer) -> None:
    r = requests.get(f"{server.api}/health", timeout=30)
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["database"] == ("postgresql" if server.database_url else "sqlite")


def test_kiosk_gets_its_hall_snapshot_with_etag(hall: Hall) -> None:
    r = hall.kiosk.get("/kiosk/content")
    assert r.status_code == 200, r.text
    snap = r.json()
    assert snap["hall_id"] == hall.id
    assert snap["content"]["hall"]["name"] == "测试居委会"
    etag = r.headers["ETag"]
    assert etag == f'"{hall.id}-v{snap["version"]}"'
    again = hall.kiosk.get("/kiosk/content", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    stale = hall.kiosk.get("/kiosk/content", headers={"If-None-Match": '"other-v1"'})
    assert stale.status_code == 200


def test_publish_makes_a_new_version_and_new_etag(hall: Hall) -> None:
    before = hall.kiosk.get("/kiosk/content")
    content = hall_content(hall.id, name="测试居委会（新）")
    r = hall.staff.put(f"/halls/{hall.id}/content", json=content)
    assert r.status_code == 200, r.text
    assert r.json()["version"] == before.json()["version"] + 1
    after = hall.kiosk.get("/kiosk/content", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.json()["content"]["hall"]["name"] == "测试居委会（新）"
    assert after.headers["ETag"] != before.headers["ETag"]
    read = hall.staff.get(f"/halls/{hall.id}/content")
    assert read.status_code == 200
    assert read.json()["version"] == after.json()["version"]


def test_invalid_content_names_the_field_and_changes_nothing(hall: Hall) -> None:
    before = hall.staff.get(f"/halls/{hall.id}/content").json()["version"]
    content = hall_content(hall.id)
    content["services"][0]["steps"][0]["title"] = ""
    err = assert_error(hall.staff.put(f"/halls/{hall.id}/content", json=content), 422)
    assert err["field"] == "services[0].steps[0].title"
    assert "services[0].steps[0].title" in err["message"]
    broken = hall.staff.put(
        f"/halls/{hall.id}/content", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert_error(broken, 422)
    other = hall_content("some-other-hall")
    assert (
        assert_error(hall.staff.put(f"/halls/{hall.id}/content", json=other), 422)["field"]
        == "hall.id"
    )
    assert hall.staff.get(f"/halls/{hall.id}/content").json()["version"] == before


def test_content_naming_missing_media_is_refused(hall: Hall) -> None:
    missing = hashlib.sha256(b"never uploaded").hexdigest()
    r = hall.staff.put(f"/halls/{hall.id}/content", json=hall_content(hall.id, photo=missing))
    err = assert_error(r, 422, "unknown_media")
    assert err["field"] == "staff[0].photo"


def test_media_upload_then_fetch_by_hash(hall: Hall) -> None:
    r = hall.staff.post("/media", data=PNG, headers={"Content-Type": "image/png"})
    assert r.status_code == 201, r.text
    digest = r.json()["sha256"]
    assert digest == hashlib.sha256(PNG).hexdigest()
    got = hall.kiosk.get(f"/media/{digest}")
    assert got.status_code == 200
    assert got.content == PNG
    assert got.headers["Content-Type"] == "image/png"
    assert "immutable" in got.headers["Cache-Control"]
    # Now content may name it.
    published = hall.staff.put(
        f"/halls/{hall.id}/content", json=hall_content(hall.id, photo=digest)
    )
    assert published.status_code == 200, published.text
    assert_error(hall.kiosk.get(f"/media/{'0' * 64}"), 404, "unknown_media")
    assert_error(hall.kiosk.get("/media/not-a-hash"), 404)
    assert_error(hall.staff.post("/media", data=b"plain text, not an image"), 415)


def test_staff_status_change_publishes_a_version(hall: Hall) -> None:
    before = hall.kiosk.get("/kiosk/content").json()["version"]
    r = hall.staff.post(
        f"/halls/{hall.id}/staff/wang/status",
        json={
            "status": "visiting",
            "status_until": "2026-11-26T15:00:00+08:00",
            "status_note": "入户走访",
        },
    )
    assert r.status_code == 200, r.text
    snap = hall.kiosk.get("/kiosk/content").json()
    assert snap["version"] == before + 1
    wang = snap["content"]["staff"][0]
    assert (wang["status"], wang["status_note"]) == ("visiting", "入户走访")
    assert_error(
        hall.staff.post(f"/halls/{hall.id}/staff/nobody/status", json={"status": "leave"}),
        404,
        "unknown_staff",
    )
    assert_error(
        hall.staff.post(f"/halls/{hall.id}/staff/wang/status", json={"status": "asleep"}), 422
    )


def test_halls_list_by_role(hall: Hall) -> None:
    mine = hall.staff.get("/halls").json()["halls"]
    assert [h["id"] for h in mine] == [hall.id]
    every = {h["id"] for h in hall.admin.get("/halls").json()["halls"]}
    assert hall.id in every and len(every) > 1


def test_demo_halls_are_loaded(server: RunningServer) -> None:
    creds = server.credentials
    assert creds["admin"]["username"] == "admin"
    assert creds["kiosks"], "demo halls should each get a kiosk token"
    hall_id, kiosk = next(iter(creds["kiosks"].items()))
    r = requests.get(
        f"{server.api}/kiosk/content",
        headers={"Authorization": f"Bearer {kiosk['token']}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    assert r.json()["hall_id"] == hall_id


def test_a_newer_version_than_this_process_knows_is_re_read(hall: Hall) -> None:
    """A kiosk holding a version this process has not seen yet never gets an older one."""
    current = hall.kiosk.get("/kiosk/content")
    version = current.json()["version"]
    newer = f'"{hall.id}-v{version + 5}"'
    r = hall.kiosk.get("/kiosk/content", headers={"If-None-Match": newer})
    # No such version exists: the kiosk gets the real current one, freshly read.
    assert r.status_code == 200
    assert r.json()["version"] == version


def test_unknown_halls_and_new_halls(hall: Hall) -> None:
    assert_error(hall.admin.get("/halls/no-such-hall/content"), 404, "unknown_hall")
    assert_error(
        hall.admin.post("/halls/no-such-hall/staff/wang/status", json={"status": "leave"}),
        404,
        "unknown_hall",
    )
    # A district admin creates a hall by publishing its first content.
    new_id = f"new-{hall.id}"[:60]
    r = hall.admin.put(f"/halls/{new_id}/content", json=hall_content(new_id))
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 1
    listed = {h["id"]: h for h in hall.admin.get("/halls").json()["halls"]}
    assert listed[new_id]["content_version"] == 1
    counters = hall.admin.get("/counters", params={"hall_id": new_id}).json()["counters"]
    assert sorted(c["window"] for c in counters) == [1, 2, 3]
