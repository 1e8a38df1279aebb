"""The kiosk's request API on a real server: categories, registering (idempotent), every
field validated with a Chinese 422, the 查询码 look-up without personal data (rate
limited), the voice note, the public board; and the REQUEST event on the long-poll."""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
import wave
from typing import Any

import pytest

from kiosk.core.request_numbers import new_public_id
from kiosk.core.wire import PublicFigures, RequestReceipt
from kiosk.server.domain_errors import Invalid
from kiosk.server.requests.voice import check_voice_note
from tests.utils.server_api import Hall, assert_error, make_hall
from tests.utils.servers import RunningServer

ZONE = dt.timezone(dt.timedelta(hours=8))


def _body(**kw: Any) -> dict[str, Any]:
    return {
        "public_id": new_public_id(),
        "query_code": "482913",
        "category": "repair",
        "phrases": ["水管漏水"],
        "description": "厨房水管一直滴水",
        "location": "3-2-501",
        "phone": "13812341234",
        "voice_note": False,
        "created_at": dt.datetime.now(ZONE).isoformat(),
        **kw,
    }


def _post(hall: Hall, body: dict[str, Any], key: str | None = None) -> Any:
    return hall.kiosk.post(
        "/requests", json=body, headers={"Idempotency-Key": key or f"req-{uuid.uuid4().hex}"}
    )


def _wav(seconds: float, *, channels: int = 1, rate: int = 8000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x01" * channels * int(rate * seconds))
    return out.getvalue()


def test_categories_carry_deadline_and_phrases(hall: Hall) -> None:
    r = hall.kiosk.get("/requests/categories")
    assert r.status_code == 200, r.text
    found = {c["id"]: c for c in r.json()["categories"]}
    assert found["repair"]["label"] == "报修"
    assert found["repair"]["deadline_text"] == "3 个工作日内答复"
    assert "水管漏水" in found["repair"]["phrases"]
    assert hall.anon.get("/requests/categories").status_code == 401


def test_register_is_idempotent_and_answers_a_receipt(hall: Hall) -> None:
    body = _body()
    key = f"req-{uuid.uuid4().hex}"
    first = _post(hall, body, key)
    assert first.status_code == 201, first.text
    receipt = RequestReceipt.model_validate(first.json())
    assert receipt.id == body["public_id"] and receipt.query_code == "482913"
    assert receipt.state == "registered" and receipt.state_label == "已登记"
    assert receipt.category_label == "报修" and receipt.phone_url == f"/r/{receipt.id}"
    assert receipt.accept_by is not None and receipt.due_at is None
    again = _post(hall, {**body, "description": "改过的内容"}, key)
    assert again.status_code == 200 and again.json() == first.json()
    other_key = _post(hall, body)
    assert_error(other_key, 409, "request_exists")
    board = hall.staff.get("/requests").json()
    assert [row["id"] for row in board["rows"]].count(receipt.id) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "no-such"}, "category"),
        ({"category": "Repair!"}, "category"),
        ({"query_code": "1234567"}, "query_code"),
        ({"query_code": "111111"}, "query_code"),
        ({"phone": "1381234123"}, "phone"),
        ({"phone": "23812341234"}, "phone"),
        ({"location": "三号楼"}, "location"),
        ({"location": "3-2"}, "location"),
        ({"description": "长" * 501}, "description"),
        ({"phrases": ["长" * 41]}, "phrases[0]"),
        ({"created_at": "2026-12-02T09:00:00"}, "created_at"),
        ({"created_at": "2026-11-01T09:00:00+08:00"}, "created_at"),
        ({"public_id": "short"}, "public_id"),
        ({"nickname": "x"}, "nickname"),
        ({"voice_note": "yes"}, "voice_note"),
    ],
)
def test_every_field_is_validated_in_chinese(
    hall: Hall, change: dict[str, Any], field: str
) -> None:
    error = assert_error(_post(hall, _body(**change)), 422)
    assert error["field"] == field, error
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"]), error


def test_bad_bodies_and_headers_are_422_not_5xx(hall: Hall) -> None:
    r = hall.kiosk.post("/requests", data=b"{not json", headers={"Idempotency-Key": "req-12345678"})
    assert_error(r, 422)
    assert_error(hall.kiosk.post("/requests", json=_body()), 422)  # no Idempotency-Key
    assert_error(
        hall.kiosk.post("/requests", json=[1, 2], headers={"Idempotency-Key": "req-123456789"}), 422
    )
    empty = _body(phrases=[], description=None)
    assert_error(_post(hall, empty), 422)


def test_lookup_shows_the_public_story_only(hall: Hall) -> None:
    code = "730146"
    r = _post(hall, _body(query_code=code, phone="13900001111", location="7-1-302"))
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    note = hall.staff.post(
        f"/requests/{rid}/notes", json={"text": "内部：王师傅明天来", "public": False}
    )
    assert note.status_code == 201, note.text
    hall.staff.post(f"/requests/{rid}/actions/accept")
    found = hall.kiosk.get("/requests/lookup", params={"code": "730 146"})
    assert found.status_code == 200, found.text
    views = found.json()["requests"]
    assert len(views) == 1
    view = views[0]
    assert view["number"] == r.json()["number"] and view["state_label"] == "已受理"
    assert [e["label"] for e in view["timeline"]] == ["已登记", "已受理"]
    text = json.dumps(found.json(), ensure_ascii=False)
    for secret in ("13900001111", "7-1-302", "王师傅", "phone", "name", "location"):
        assert secret not in text
    assert_error(hall.kiosk.get("/requests/lookup", params={"code": "12345"}), 422)
    assert_error(hall.kiosk.get("/requests/lookup", params={"code": "abcdef"}), 422)
    assert_error(hall.kiosk.get("/requests/lookup", params={"code": "999998"}), 404)


def test_lookup_is_rate_limited_per_kiosk(server: RunningServer) -> None:
    own = make_hall(server, "req-limit")
    codes = [f"{i:06d}" for i in range(100001, 100012)]
    answers = [own.kiosk.get("/requests/lookup", params={"code": c}) for c in codes]
    assert [a.status_code for a in answers[:10]] == [404] * 10
    error = assert_error(answers[10], 429, "lookup_rate_limited")
    assert "频繁" in error["message"]
    assert int(answers[10].headers["Retry-After"]) >= 1


def test_voice_note_is_checked(hall: Hall) -> None:
    rid = _post(hall, _body(voice_note=True, phrases=[], description=None)).json()["id"]
    url = f"/requests/{rid}/voice-note"
    wav = {"Content-Type": "audio/wav"}
    assert hall.kiosk.put(url, data=_wav(2), headers=wav).status_code == 204
    back = hall.staff.get(url)
    assert back.status_code == 200 and back.content == _wav(2)
    assert hall.kiosk.get(url).status_code in (403, 405)
    assert_error(hall.kiosk.put(url, data=_wav(1, channels=2), headers=wav), 422)
    assert_error(hall.kiosk.put(url, data=b"RIFF0000WAVEjunk", headers=wav), 422)
    assert_error(hall.kiosk.put(url, data=_wav(0.5, rate=4000), headers=wav), 422)
    assert_error(hall.kiosk.put(url, data=_wav(1), headers={"Content-Type": "image/png"}), 415)
    assert_error(
        hall.kiosk.put("/requests/nonexistent-id-1/voice-note", data=_wav(1), headers=wav), 404
    )


def test_public_board_counts_this_month(hall: Hall) -> None:
    _post(hall, _body())
    r = hall.kiosk.get("/requests/public-board")
    assert r.status_code == 200, r.text
    figures = PublicFigures.model_validate(r.json())
    assert figures.received >= 1 and figures.ratings is not None  # 好差评 of the month
    assert figures.ratings.bad_total == 0 and figures.ratings.good_pct is None  # none rated
    assert "phone" not in r.text
    assert_error(hall.kiosk.get("/requests/public-board", params={"month": "2026-1"}), 422)


def test_a_change_is_told_on_the_event_long_poll(hall: Hall) -> None:
    after = hall.kiosk.get("/kiosk/events", params={"after": 0, "wait": 0}).json()["last_seq"]
    rid = _post(hall, _body(phone=None)).json()["id"]
    seen: list[dict[str, Any]] = []
    for _ in range(20):
        r = hall.kiosk.get("/kiosk/events", params={"after": after, "wait": 5})
        assert r.status_code == 200, r.text
        seen += [e for e in r.json()["events"] if e["type"] == "request"]
        after = r.json()["last_seq"]
        if seen:
            break
    assert seen and seen[0]["data"]["id"] == rid and seen[0]["data"]["state"] == "registered"
    assert set(seen[0]["data"]) == {"id", "number", "state", "action"}


def test_the_voice_check_refuses_more_than_a_minute() -> None:
    # Longer than the test server's body limit, so checked here in-process.
    assert check_voice_note(_wav(60)) == 60
    with pytest.raises(Invalid) as caught:
        check_voice_note(_wav(61))
    assert "60 秒" in caught.value.message
