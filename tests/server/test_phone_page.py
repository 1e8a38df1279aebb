"""The resident's phone page ``/t/{id}``: number, people ahead, wait, then the window."""

from __future__ import annotations

import re

import requests

from .conftest import Hall


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
    assert re.search(r'<meta http-equiv="refresh" content="\d+">', html)
    assert 'lang="zh-CN"' in html
    window3 = hall.counters[3]
    called = hall.staff.post(f"/counters/{window3}/call-next").json()
    assert called["id"] == ahead["id"]
    hall.staff.post(f"/counters/{window3}/call-next")
    html = _page(hall, ticket["id"]).text
    assert "请到 3 号窗口办理" in html
    hall.staff.post(f"/counters/{window3}/complete")
    html = _page(hall, ticket["id"]).text
    assert "已办结" in html and "refresh" not in html


def test_unknown_ticket_page_is_a_chinese_404(hall: Hall) -> None:
    r = _page(hall, "no-such-ticket-id-at-all")
    assert r.status_code == 404
    assert "找不到这张号码单" in r.text
    assert r.headers["Content-Type"].startswith("text/html")
    assert _page(hall, "x").status_code == 404


def test_page_escapes_nothing_personal(hall: Hall) -> None:
    ticket = hall.issue("A").json()
    html = _page(hall, ticket["id"]).text
    assert hall.kiosk_token not in html
    assert "Idempotency" not in html
