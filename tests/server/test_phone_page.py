"""The resident's phone page ``/t/{id}``: number, people ahead, wait, then the window."""

from __future__ import annotations

import re

import requests

from kiosk.core.tickets import new_public_id
from tests.utils.server_api import Hall


def _page(hall: Hall, public_id: str) -> requests.Response:
    return requests.get(f"{hall.server.base_url}/t/{public_id}", timeout=30)


def test_waiting_then_called_then_done(hall: Hall) -> None:
    ahead = hall.issue("C").json()
    ticket = hall.issue("C", service_id="dibao").json()
    r = _page(hall, ticket["id"])
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    html = r.text
    assert ticket["number"] in html
    assert "前面还有" in html and f"{ticket['people_ahead']} 人" in html
    assert "预计等候" in html
    assert "低保申请" in html  # the service's name
    # Updated in place by an external script (no meta refresh: axe-core's rule), and a
    # 刷新 link for a phone without script.
    assert "http-equiv" not in html and '<script src="/admin/static/phone.js"' in html
    assert f'<a class="refresh" href="/t/{ticket["id"]}">刷新</a>' in html
    assert re.search(r"<script>", html) is None
    assert 'lang="zh-CN"' in html
    window3 = hall.counters[3]
    called = hall.staff.post(f"/counters/{window3}/call-next").json()
    assert called["id"] == ahead["id"]
    hall.staff.post(f"/counters/{window3}/call-next")
    html = _page(hall, ticket["id"]).text
    assert "请到 3 号窗口办理" in html
    hall.staff.post(f"/counters/{window3}/complete")
    html = _page(hall, ticket["id"]).text
    assert "已办结" in html and "phone.js" not in html and "刷新" not in html


def test_unknown_ticket_page_is_a_chinese_404(hall: Hall) -> None:
    r = _page(hall, "no-such-ticket-id-at-all")
    assert r.status_code == 404
    assert "找不到这张号码单" in r.text and "phone.js" not in r.text
    assert r.headers["Content-Type"].startswith("text/html")
    assert _page(hall, "x").status_code == 404


def test_an_id_a_kiosk_could_have_minted_may_be_on_its_way(hall: Hall) -> None:
    public_id = new_public_id()
    r = _page(hall, public_id)
    assert r.status_code == 404 and r.headers["Cache-Control"] == "no-store"
    assert "还在从大厅传过来的路上" in r.text and "找不到" not in r.text
    assert f'<a class="refresh" href="/t/{public_id}">刷新</a>' in r.text
    assert '<script src="/admin/static/phone.js"' in r.text and "http-equiv" not in r.text
    assert f'data-ticket-json="/api/v1/public/tickets/{public_id}"' in r.text


def test_a_moved_resident_is_told_from_what_to_what(hall: Hall) -> None:
    ticket = hall.issue("C").json()
    window3 = hall.counters[3]
    while hall.staff.post(f"/counters/{window3}/call-next").json()["id"] != ticket["id"]:
        pass
    moved = hall.staff.post(f"/counters/{window3}/transfer", json={"queue": "A"})
    assert moved.status_code == 200, moved.text
    html = _page(hall, ticket["id"]).text
    assert "等候中" in html
    assert re.search(r"从 C 队列（[^）]+）转到 A 队列（[^）]+）", html), html
    assert ticket["number"] in html


def test_page_escapes_nothing_personal(hall: Hall) -> None:
    ticket = hall.issue("A").json()
    html = _page(hall, ticket["id"]).text
    assert hall.kiosk_token not in html
    assert "Idempotency" not in html
