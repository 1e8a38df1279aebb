"""The request's phone page ``/r/{id}`` on a real server: the state, the public timeline
and the deadline in words, no personal data; the five faces once within 14 days (a second
rating is refused in Chinese), 申请重办 after 不满意. Plain HTTP and Chromium at 390×844."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path
from typing import Any

import requests

from kiosk.core.request_numbers import new_public_id
from tests.utils.server_api import TIMEOUT, Hall

ZONE = dt.timezone(dt.timedelta(hours=8))


def _registered(hall: Hall, **kw: Any) -> str:
    body = {
        "public_id": new_public_id(),
        "query_code": "620418",
        "category": "repair",
        "phrases": ["楼道灯不亮"],
        "description": "5 号楼 2 单元三楼",
        "location": "5-2-301",
        "phone": "13855556666",
        "created_at": dt.datetime.now(ZONE).isoformat(),
        **kw,
    }
    r = hall.kiosk.post(
        "/requests", json=body, headers={"Idempotency-Key": f"k-{uuid.uuid4().hex}"}
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _closed(hall: Hall) -> str:
    rid = _registered(hall)
    for action, body in (("accept", None), ("resolve", {"answer": "已更换楼道灯泡"})):
        r = hall.staff.post(f"/requests/{rid}/actions/{action}", json=body)
        assert r.status_code == 200, r.text
    return rid


def _page(hall: Hall, rid: str) -> requests.Response:
    return requests.get(f"{hall.server.base_url}/r/{rid}", timeout=TIMEOUT)


def _post(hall: Hall, rid: str, what: str, **form: str) -> requests.Response:
    return requests.post(
        f"{hall.server.base_url}/r/{rid}/{what}", data=form, timeout=TIMEOUT, allow_redirects=True
    )


def test_an_open_request_shows_state_timeline_and_deadline(hall: Hall) -> None:
    rid = _registered(hall)
    r = _page(hall, rid)
    assert r.status_code == 200 and "no-store" in r.headers["cache-control"]
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert "已登记" in r.text and "前受理" in r.text and "3 个工作日内答复" in r.text
    for secret in ("13855556666", "5-2-301"):
        assert secret not in r.text
    assert 'action="/r/' not in r.text  # nothing to rate yet
    hall.staff.post(f"/requests/{rid}/actions/accept")
    hall.staff.post(f"/requests/{rid}/notes", json={"text": "内部：找物业", "public": False})
    hall.staff.post(f"/requests/{rid}/notes", json={"text": "电工明天上午上门", "public": True})
    r = _page(hall, rid)
    assert "已受理" in r.text and "前办结" in r.text and "电工明天上午上门" in r.text
    assert "找物业" not in r.text


def test_unknown_request_is_a_chinese_404(hall: Hall) -> None:
    for rid in ("x" * 22, "bad id!"):
        r = _page(hall, rid)
        assert r.status_code == 404 and "找不到这条诉求" in r.text


def test_rate_once_then_refused_with_a_clear_message(hall: Hall) -> None:
    rid = _closed(hall)
    r = _page(hall, rid)
    assert "已办结" in r.text and "已更换楼道灯泡" in r.text
    # The ticket page's form: five SVG faces (no emoji font needed), 14 days.
    for label in ("非常满意", "满意", "基本满意", "不满意", "非常不满意"):
        assert re.search(
            rf'<label for="level-[a-z_]+"><svg class="face".*?</svg>{label}</label>', r.text
        )
    assert "😄" not in r.text and "办结后 14 天内可评价一次" in r.text
    r = _post(hall, rid, "rate", level="very_satisfied")
    assert r.status_code == 200 and "谢谢您的评价" in r.text and "感谢您的评价：非常满意" in r.text
    again = _post(hall, rid, "rate", level="unsatisfied", reason="efficiency")
    assert again.status_code == 409 and "已评价" in again.text
    bad = _post(hall, _closed(hall), "rate", level="great")
    assert bad.status_code == 422 and "请选择五个等级之一" in bad.text
    view = hall.staff.get(f"/requests/{rid}").json()
    assert view["rating_level"] == "very_satisfied" and view["satisfaction"] == "satisfied"


def test_unsatisfied_offers_reopen_with_a_reason(hall: Hall) -> None:
    rid = _closed(hall)
    r = _post(hall, rid, "rate", level="very_unsatisfied", reason="attitude")
    assert "申请重办" in r.text and 'action="/r/' + rid + '/reopen"' in r.text
    empty = _post(hall, rid, "reopen", reason="  ")
    assert empty.status_code == 422 and "理由" in empty.text
    r = _post(hall, rid, "reopen", reason="灯又不亮了")
    assert r.status_code == 200 and "已收到您的重办申请" in r.text and "处理中" in r.text
    assert "理由：灯又不亮了" in r.text
    assert hall.staff.get(f"/requests/{rid}").json()["reopen_count"] == 1


def test_in_chromium_on_a_phone(hall: Hall, browser: Any, tmp_path: Path) -> None:
    rid = _closed(hall)
    hall.staff.post(f"/requests/{rid}/notes", json={"text": "物业已检查整栋楼线路", "public": True})
    page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=1)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if "Refused" in m.text else None)
    page.goto(f"{hall.server.base_url}/r/{rid}")
    assert re.fullmatch(r"[A-Z]{2,4}-2026-[0-9]{6}", page.locator(".request-number").inner_text())
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    # docs/screenshots/request-phone-page.png is this picture (of the demo's look)
    page.screenshot(path=str(tmp_path / "request-phone-page.png"), full_page=True)
    page.locator("label[for=level-unsatisfied]").click()
    assert page.locator("fieldset.reasons").is_visible()  # the reasons after a 差评
    page.locator("label[for=reason-efficiency]").click()
    page.get_by_role("button", name="提交评价").click()
    page.wait_for_url(f"**/r/{rid}?done=rated#rating")
    assert page.locator("textarea#reason").is_visible()
    page.fill("textarea#reason", "楼道灯还是不亮")
    page.get_by_role("button", name="申请重办").click()
    page.wait_for_url(f"**/r/{rid}?done=reopened")
    assert "处理中" in page.locator(".state").inner_text()
    assert errors == []  # the CSP let the page's own style through, nothing was refused
    page.close()
