"""A request's photos through the staff API on a real server: PNG and JPEG taken (multipart
and raw bytes), GPS and other EXIF gone from what is kept, a text file named .jpg refused
(415), an oversized one refused (413), a 10th photo refused in Chinese, another hall's
staff and kiosks kept out, and the phone page ``/r/{id}`` showing only public photos."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import requests
from PIL import ExifTags, Image

from kiosk.core.request_numbers import new_public_id
from tests.utils.server_api import TIMEOUT, Hall, assert_error, make_hall
from tests.utils.servers import RunningServer

ZONE = dt.timezone(dt.timedelta(hours=8))


def png(colour: tuple[int, int, int] = (30, 120, 200), size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    """A camera-like JPEG that says where it was taken (a resident's home, say)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (31.0, 14.0, 5.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (121.0, 28.0, 7.0)
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 60, 40)).save(out, "JPEG", exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # it has GPS
    return data


def _request(hall: Hall) -> str:
    r = hall.staff.post(
        "/requests",
        json={"channel": "window", "category": "repair", "description": "楼道灯不亮"},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _kiosk_request(hall: Hall) -> str:
    body = {
        "public_id": new_public_id(),
        "query_code": "620418",
        "category": "repair",
        "phrases": ["楼道灯不亮"],
        "description": "5 号楼 2 单元三楼",
        "location": "5-2-301",
        "phone": None,
        "created_at": dt.datetime.now(ZONE).isoformat(),
    }
    r = hall.kiosk.post(
        "/requests", json=body, headers={"Idempotency-Key": f"k-{uuid.uuid4().hex}"}
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _raw(hall: Hall, rid: str, data: bytes, **params: str) -> requests.Response:
    return hall.staff.post(
        f"/requests/{rid}/photos",
        data=data,
        params=params,
        headers={"Content-Type": "application/octet-stream"},
    )


def test_photos_are_taken_cleaned_and_listed(hall: Hall) -> None:
    rid = _request(hall)
    r = hall.staff.post(
        f"/requests/{rid}/photos",
        files=[("photo", ("a.png", png(), "image/png")), ("photo", ("b.jpg", jpeg_with_gps()))],
    )
    assert r.status_code == 201, r.text
    listed = r.json()["photos"]
    # Re-encoded as the content editor does (JPEG unless there is transparency).
    assert [p["mime"] for p in listed] == ["image/jpeg", "image/jpeg"]
    assert not any(p["public"] for p in listed) and r.json()["max_photos"] == 9
    same = hall.staff.get(f"/requests/{rid}/photos")
    assert same.status_code == 200 and same.json()["photos"] == listed
    got = hall.staff.get(f"/requests/{rid}/photos/{listed[1]['id']}")
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    assert got.headers["x-content-type-options"] == "nosniff"
    kept = Image.open(io.BytesIO(got.content))
    assert kept.size == (640, 480)
    assert not kept.getexif(), "the stored photo still carries EXIF"
    assert b"Exif" not in got.content and b"TestCam" not in got.content
    labels = [e["label"] for e in hall.staff.get(f"/requests/{rid}").json()["timeline"]]
    assert labels.count("添加照片") == 2
    raw = _raw(hall, rid, png((0, 0, 0)))
    assert raw.status_code == 201 and len(raw.json()["photos"]) == 3, raw.text


def test_what_is_not_a_photo_is_refused(hall: Hall) -> None:
    rid = _request(hall)
    text = hall.staff.post(
        f"/requests/{rid}/photos", files=[("photo", ("lamp.jpg", b"just some text", "image/jpeg"))]
    )
    assert "PNG" in assert_error(text, 415)["message"]
    assert "不是" in assert_error(_raw(hall, rid, b"<svg></svg>"), 415)["message"]
    assert "没有收到" in assert_error(_raw(hall, rid, b""), 422)["message"]
    big = jpeg_with_gps()
    too_big = _raw(hall, rid, big + b"\0" * (5_000_001 - len(big)))
    assert "太大" in assert_error(too_big, 413)["message"]
    mixed = hall.staff.post(
        f"/requests/{rid}/photos",
        files=[("photo", ("ok.png", png())), ("photo", ("bad.jpg", b"GIF89a-not-really"))],
    )
    assert "第 2 张" in assert_error(mixed, 415)["message"]
    assert hall.staff.get(f"/requests/{rid}/photos").json()["photos"] == []  # all or none
    assert_error(_raw(hall, "does-not-exist", png()), 404)


def test_a_tenth_photo_is_refused(hall: Hall) -> None:
    rid = _request(hall)
    r = hall.staff.post(
        f"/requests/{rid}/photos",
        files=[("photo", (f"{n}.png", png((n * 20, 0, 0)))) for n in range(9)],
    )
    assert r.status_code == 201 and len(r.json()["photos"]) == 9, r.text
    refused = _raw(hall, rid, png((1, 2, 3)))
    assert "最多 9 张" in assert_error(refused, 422, "too_many_photos")["message"]
    assert len(hall.staff.get(f"/requests/{rid}/photos").json()["photos"]) == 9


def test_other_halls_and_kiosks_are_kept_out(server: RunningServer, hall: Hall) -> None:
    rid = _request(hall)
    photo_id = _raw(hall, rid, png()).json()["photos"][0]["id"]
    other = make_hall(server, "photo-other")
    assert_error(other.staff.get(f"/requests/{rid}/photos"), 403)
    assert_error(other.staff.get(f"/requests/{rid}/photos/{photo_id}"), 403)
    assert_error(_raw(other, rid, png()), 403)
    assert_error(hall.kiosk.get(f"/requests/{rid}/photos/{photo_id}"), 403)
    assert_error(hall.anon.get(f"/requests/{rid}/photos"), 401)
    assert_error(hall.staff.get(f"/requests/{rid}/photos/999999"), 404)
    # The district admin reaches every hall.
    assert hall.admin.get(f"/requests/{rid}/photos/{photo_id}").status_code == 200


def test_the_phone_page_shows_only_public_photos(server: RunningServer, hall: Hall) -> None:
    rid = _kiosk_request(hall)
    internal = _raw(hall, rid, png((10, 10, 10))).json()["photos"][0]["id"]
    public = _raw(hall, rid, png((250, 250, 0)), public="true").json()["photos"][1]["id"]
    page = requests.get(f"{server.base_url}/r/{rid}", timeout=TIMEOUT)
    assert page.status_code == 200
    assert f"/r/{rid}/photos/{public}" in page.text
    assert f"/photos/{internal}" not in page.text
    shown = requests.get(f"{server.base_url}/r/{rid}/photos/{public}", timeout=TIMEOUT)
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    hidden = requests.get(f"{server.base_url}/r/{rid}/photos/{internal}", timeout=TIMEOUT)
    assert hidden.status_code == 404
    for hostile in ("x", "-1", str(2**70), "0"):
        r = requests.get(f"{server.base_url}/r/{rid}/photos/{hostile}", timeout=TIMEOUT)
        assert r.status_code == 404
    # Made public later, then internal again.
    r = hall.staff.put(f"/requests/{rid}/photos/{internal}/public", json={"public": True})
    assert r.status_code == 200 and all(p["public"] for p in r.json()["photos"])
    assert requests.get(f"{server.base_url}/r/{rid}/photos/{internal}", timeout=TIMEOUT).ok
    hall.staff.put(f"/requests/{rid}/photos/{internal}/public", json={"public": False})
    r = requests.get(f"{server.base_url}/r/{rid}/photos/{internal}", timeout=TIMEOUT)
    assert r.status_code == 404
    assert_error(
        hall.staff.put(f"/requests/{rid}/photos/{internal}/public", json={"public": "yes"}), 422
    )
