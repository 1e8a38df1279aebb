"""Content editing through the admin forms (validation beside the field, flowchart steps,
materials, room activities and events, notice windows, drafts), the fleet page, the
statistics with CSV, and accounts and kiosks — all over HTTP against the real server."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
from typing import Any

import requests

from kiosk.core import clock
from tests.utils.admin_web import (
    AdminClient,
    admin_client,
    counters_of,
    db,
    issue_ticket,
    kiosk_content,
    staff_client,
)
from tests.utils.servers import RunningServer

HALL = "mingshi-haoting-2"
CN = dt.timezone(dt.timedelta(hours=8))


def _field_error(html: str, label: str) -> str:
    """The error shown beside a form field labelled ``label`` ("" if none of them has one;
    a page may hold several forms with such a field)."""
    blocks = [
        block
        for block in re.findall(r'<div class="field[^"]*">(.*?)</div>', html, re.S)
        if re.search(rf">{re.escape(label)}</(label|legend)>", block)
    ]
    assert blocks, f"no field labelled {label}"
    for block in blocks:
        found = re.search(r'<p class="error" role="alert">(.*?)</p>', block, re.S)
        if found:
            return found.group(1).strip()
    return ""


def _draft(staff: AdminClient, key: str, item_id: str) -> dict[str, Any]:
    with db(staff.server) as conn:
        row = conn.execute("SELECT content FROM admin_drafts WHERE hall_id = ?", (HALL,)).fetchone()
    import json

    content = json.loads(row["content"]) if row else kiosk_content(staff.server, HALL)["content"]
    return next(i for i in content[key] if i["id"] == item_id)


def test_validation_errors_stand_beside_their_fields(admin_server: RunningServer) -> None:
    staff = staff_client(admin_server, HALL)
    version = kiosk_content(admin_server, HALL)["version"]
    r = staff.post(
        f"/admin/halls/{HALL}/services/new",
        {
            "f_id": "Bad ID!",
            "f_name": "",
            "f_category": "assistance",
            "f_where": "1 号窗口",
            "f__step_title": "",
            "f__step_actor": "居民",
            "f_online_url": "not-a-url",
        },
    )
    assert r.status_code == 422
    assert _field_error(r.text, "编号") == "格式不对"
    assert _field_error(r.text, "名称") == "不能为空"
    assert _field_error(r.text, "第一步：做什么") == "不能为空"
    assert _field_error(r.text, "网上办理地址") == "格式不对"
    assert _field_error(r.text, "办理地点") == ""
    assert 'value="1 号窗口"' in r.text  # what was typed comes back

    r = staff.post(
        f"/admin/halls/{HALL}/notices/new",
        {
            "f_id": "window-check",
            "f_title": "测试",
            "f_board": "disclosure",
            "f_category": "财务公开",
            "f_body": "正文",
            "f_publish_from": "2026-12-10T09:00",
            "f_publish_until": "2026-12-01T09:00",
        },
    )
    assert r.status_code == 422
    assert "下架时间必须晚于发布时间" in r.text

    room = kiosk_content(admin_server, HALL)["content"]["rooms"][0]
    r = staff.post(
        f"/admin/halls/{HALL}/rooms/{room['id']}",
        {"f_name": room["name"], "f_location": room["location"], "f_hours": "周一 八点"},
    )
    assert r.status_code == 422
    assert "第 1 行格式不对" in _field_error(r.text, "开放时间（每行一段）")
    assert kiosk_content(admin_server, HALL)["version"] == version


def test_flowchart_steps_materials_and_publish(admin_server: RunningServer) -> None:
    staff = staff_client(admin_server, HALL)
    service = kiosk_content(admin_server, HALL)["content"]["services"][0]
    sid = service["id"]
    base = f"/admin/halls/{HALL}/services/{sid}"
    titles = [s["title"] for s in service["steps"]]

    assert "已新增步骤" in staff.flash(
        staff.post(f"{base}/steps/new", {"f_title": "领取结果", "f_actor": "居民"})
    )
    titles.append("领取结果")
    staff.flash(
        staff.post(
            f"{base}/steps/0",
            {"f_title": "带齐材料到窗口", "f_actor": "居民", "f_duration": "约10分钟"},
        )
    )
    titles[0] = "带齐材料到窗口"
    staff.flash(staff.post(f"{base}/steps/{len(titles) - 1}/move", {"direction": "up"}))
    titles[-1], titles[-2] = titles[-2], titles[-1]
    assert [s["title"] for s in _draft(staff, "services", sid)["steps"]] == titles
    if len(titles) > 2:
        staff.flash(staff.post(f"{base}/steps/1/delete"))
        titles.pop(1)
    # A step with an empty title is refused beside its field and not saved.
    r = staff.post(f"{base}/steps/0", {"f_title": "", "f_actor": "居民"})
    assert r.status_code == 422
    assert _field_error(r.text, "做什么") == "不能为空"

    staff.flash(
        staff.post(
            f"{base}/materials/new",
            {"f_name": "户口簿原件", "f_copies": "1", "f_note": "核对后退还"},
        )
    )
    r = staff.post(f"{base}/materials/new", {"f_name": "复印件", "f_copies": "x"})
    assert r.status_code == 422 and _field_error(r.text, "份数") == "应为整数"

    staff.flash(staff.post(f"/admin/halls/{HALL}/publish"))
    published = next(
        s for s in kiosk_content(admin_server, HALL)["content"]["services"] if s["id"] == sid
    )
    assert [s["title"] for s in published["steps"]] == titles
    assert published["steps"][0]["duration"] == "约10分钟"
    assert published["materials"][-1] == {"name": "户口簿原件", "copies": 1, "note": "核对后退还"}

    # The last step cannot be removed: a service needs at least one.
    for _ in range(len(titles) - 1):
        staff.flash(staff.post(f"{base}/steps/0/delete"))
    message = staff.flash(staff.post(f"{base}/steps/0/delete"))
    assert "不能删除" in message and "至少需要一项" in message
    staff.flash(staff.post(f"/admin/halls/{HALL}/discard"))


def test_rooms_notices_and_discard(admin_server: RunningServer) -> None:
    staff = staff_client(admin_server, HALL)
    room = kiosk_content(admin_server, HALL)["content"]["rooms"][0]
    base = f"/admin/halls/{HALL}/rooms/{room['id']}"
    staff.flash(
        staff.post(
            f"{base}/activities/new",
            [
                ("f_title", "太极拳"),
                ("f_weekdays", "2"),
                ("f_weekdays", "4"),
                ("f_start", "8:30"),
                ("f_end", "10:00"),
                ("f_leader", "李老师"),
            ],
        )
    )
    r = staff.post(
        f"{base}/events/new",
        {"f_title": "健康讲座", "f_date": "2026-12-05", "f_start": "15:00", "f_end": "14:00"},
    )
    assert r.status_code == 422 and "开始时间必须早于结束时间" in r.text
    staff.flash(
        staff.post(
            f"{base}/events/new",
            {"f_title": "健康讲座", "f_date": "2026-12-05", "f_start": "14:00", "f_end": "15:30"},
        )
    )
    later = clock.now(CN) + dt.timedelta(days=3)
    staff.flash(
        staff.post(
            f"/admin/halls/{HALL}/notices/new",
            {
                "f_id": "later-notice",
                "f_title": "下周停水通知",
                "f_board": "disclosure",
                "f_category": "通知",
                "f_body": "因管道检修，下周二停水。",
                "f_publish_from": later.strftime("%Y-%m-%dT%H:%M"),
            },
        )
    )
    preview = staff.get(f"/admin/halls/{HALL}/preview").text
    assert "太极拳" in preview
    assert "下周停水通知" not in preview  # its window has not begun
    staff.flash(staff.post(f"/admin/halls/{HALL}/publish"))
    content = kiosk_content(admin_server, HALL)["content"]
    published_room = next(r for r in content["rooms"] if r["id"] == room["id"])
    assert published_room["activities"][-1] == {
        "title": "太极拳",
        "weekdays": [2, 4],
        "start": "08:30",
        "end": "10:00",
        "leader": "李老师",
        "note": "",
    }
    assert published_room["events"][-1]["date"] == "2026-12-05"
    notice = next(n for n in content["notices"] if n["id"] == "later-notice")
    assert notice["publish_from"].endswith("+08:00")
    assert notice["publish_from"].startswith(later.strftime("%Y-%m-%dT%H:%M"))

    # Discard: an unpublished edit goes away, the published content stays.
    version = kiosk_content(admin_server, HALL)["version"]
    staff.flash(staff.post(f"/admin/halls/{HALL}/notices/later-notice/delete"))
    assert "有未发布的修改" in staff.get(f"/admin/halls/{HALL}").text
    staff.flash(staff.post(f"/admin/halls/{HALL}/discard"))
    assert "有未发布的修改" not in staff.get(f"/admin/halls/{HALL}").text
    assert kiosk_content(admin_server, HALL)["version"] == version
    assert _draft(staff, "notices", "later-notice")["title"] == "下周停水通知"
    # Publishing nothing makes no new version.
    assert "无需发布" in staff.flash(staff.post(f"/admin/halls/{HALL}/publish"))
    assert kiosk_content(admin_server, HALL)["version"] == version


def test_statistics_and_csv(admin_server: RunningServer) -> None:
    staff = staff_client(admin_server, HALL)
    counter = counters_of(admin_server, HALL)[0]
    queue = counter["queues"][0]
    for _ in range(3):
        issue_ticket(admin_server, HALL, queue)
    console = f"/admin/counters/{counter['id']}"
    assert "已叫号" in staff.flash(staff.post(f"{console}/call-next", {"queues": queue}))
    assert "已办结" in staff.flash(staff.post(f"{console}/complete"))
    staff.flash(staff.post(f"{console}/call-next"))
    assert "过号" in staff.flash(staff.post(f"{console}/no-show"))
    live = staff.get(f"{console}/live").json()
    assert live["served_today"] >= 1
    assert next(q for q in live["queues"] if q["code"] == queue)["waiting"] >= 1

    page = staff.get("/admin/stats")
    assert page.status_code == 200
    assert "<svg" in page.text and 'class="bar"' in page.text
    r = staff.get("/admin/stats.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:8] == ["日期", "大厅编号", "大厅", "队列", "窗口", "取号", "办结", "过号"]
    mine = [row for row in rows[1:] if row[1] == HALL and row[3] == queue]
    assert sum(int(row[6]) for row in mine) >= 1
    assert sum(int(row[7]) for row in mine) >= 1
    assert sum(int(row[5]) for row in mine) >= 3
    assert all(row[1] == HALL for row in rows[1:])  # hall staff: their hall only
    done = [row for row in mine if row[6] != "0"]
    assert done and done[0][8] != ""  # a mean wait is reported
    assert staff.get("/admin/stats?from=bad").status_code == 400


def test_fleet_shows_heartbeats_and_offline(admin_server: RunningServer) -> None:
    admin = admin_client(admin_server)
    hall = "mingshi-haoting"
    token = admin_server.credentials["kiosks"][hall]["token"]
    device = admin_server.credentials["kiosks"][hall]["device_id"]
    r = requests.post(
        f"{admin_server.api}/kiosk/heartbeat",
        json={
            "app_version": "9.8.7",
            "content_version": 1,
            "outbox_backlog": 3,
            "last_error": "打印机缺纸",
        },
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert r.status_code == 204
    page = admin.get("/admin/fleet").text
    row = next(tr for tr in re.findall(r"<tr class=\"state-.*?</tr>", page, re.S) if "9.8.7" in tr)
    assert "在线" in row and "打印机缺纸" in row and ">3<" in row
    with db(admin_server) as conn:
        conn.execute(
            "UPDATE kiosk_devices SET last_seen_at = ? WHERE id = ?",
            ((clock.now() - dt.timedelta(minutes=4)).isoformat(), device),
        )
    page = admin.get("/admin/fleet").text
    row = next(tr for tr in re.findall(r"<tr class=\"state-.*?</tr>", page, re.S) if "9.8.7" in tr)
    assert "离线" in row and "4 分钟前" in row
    # Hall staff see their own hall's kiosks only.
    staff = staff_client(admin_server, "huayang")
    assert "9.8.7" not in staff.get("/admin/fleet").text


def test_accounts_and_kiosks(admin_server: RunningServer) -> None:
    admin = admin_client(admin_server)
    r = admin.post(
        "/admin/accounts/new",
        {"username": "x", "display_name": "新人", "role": "hall_staff", "password": "short"},
    )
    assert r.status_code == 422
    assert "用户名应为" in r.text and "密码至少" in r.text and "请选择所属大厅" in r.text
    form = {
        "username": "new-clerk",
        "display_name": "新来的办事员",
        "role": "hall_staff",
        "hall_id": HALL,
        "password": "a-long-password-1",
    }
    assert "已创建账号" in admin.flash(admin.post("/admin/accounts/new", form))
    r = admin.post("/admin/accounts/new", form)
    assert r.status_code == 422 and "已被使用" in r.text
    clerk = AdminClient(admin_server)
    assert clerk.login("new-clerk", "a-long-password-1").status_code == 303
    assert clerk.get(f"/admin/halls/{HALL}").status_code == 200
    assert clerk.get("/admin/halls/huayang").status_code == 403
    assert clerk.get("/admin/accounts").status_code == 403
    with db(admin_server) as conn:
        account = conn.execute(
            "SELECT id FROM staff_accounts WHERE username = 'new-clerk'"
        ).fetchone()["id"]
    assert "已停用" in admin.flash(admin.post(f"/admin/accounts/{account}/disable"))
    r = clerk.get(f"/admin/halls/{HALL}", allow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/admin/login")
    assert AdminClient(admin_server).login("new-clerk", "a-long-password-1").status_code == 401
    admin.flash(admin.post(f"/admin/accounts/{account}/enable"))
    admin.flash(admin.post(f"/admin/accounts/{account}/password", {"password": "another-pass-22"}))
    assert AdminClient(admin_server).login("new-clerk", "another-pass-22").status_code == 303

    # A new kiosk: its token is shown once and works; revoked, it stops working.
    r = admin.post("/admin/kiosks/new", {"hall_id": HALL, "name": "二楼自助机"})
    assert r.status_code == 200
    token = re.search(r'<code class="token" id="new-token">([^<]+)</code>', r.text).group(1)
    assert token not in admin.get("/admin/kiosks").text
    api = f"{admin_server.api}/kiosk/content"
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.get(api, headers=auth, timeout=30).status_code == 200
    device = re.findall(r'action="/admin/kiosks/(\d+)/revoke"', admin.get("/admin/kiosks").text)
    newest = max(int(d) for d in device)
    assert "已注销" in admin.flash(admin.post(f"/admin/kiosks/{newest}/revoke"))
    deadline = time.monotonic() + 15
    while requests.get(api, headers=auth, timeout=30).status_code != 401:
        assert time.monotonic() < deadline, "revoked token still works"
        time.sleep(0.2)
    audit = admin.get("/admin/audit").text
    for label in ("新增账号", "停用账号", "重设密码", "登记自助机", "注销自助机"):
        assert label in audit


def test_new_items_get_an_id_and_sensible_defaults(admin_server: RunningServer) -> None:
    staff = staff_client(admin_server, HALL)
    form = staff.get(f"/admin/halls/{HALL}/notices/new").text
    today = clock.now(CN).strftime("%Y-%m-%d")
    assert re.search(rf'name="f_publish_from" value="{today} \d\d:\d\d"', form)
    r = staff.post(
        f"/admin/halls/{HALL}/staff/new",
        {"f_id": "", "f_name": "周新", "f_post": "社工", "f_duties": "接待\n走访"},
    )
    assert r.status_code == 303
    person_id = re.fullmatch(
        rf"/admin/halls/{HALL}/staff/(staff-[0-9a-f]{{6}})", r.headers["location"]
    ).group(1)
    assert _draft(staff, "staff", person_id)["duties"] == ["接待", "走访"]
    staff.flash(staff.post(f"/admin/halls/{HALL}/discard"))


def test_console_queue_filter_and_transfer(admin_server: RunningServer) -> None:
    hall = "mingshi-haoting"
    staff = staff_client(admin_server, hall)
    counter = counters_of(admin_server, hall)[0]
    queues = [q["code"] for q in kiosk_content(admin_server, hall)["content"]["queues"]]
    other = next(q for q in queues if q not in counter["queues"])
    own = counter["queues"][0]
    console = f"/admin/counters/{counter['id']}"
    # Clear the window first, whatever earlier tests left.
    staff.post(f"{console}/complete")
    mine = issue_ticket(admin_server, hall, own)
    foreign = issue_ticket(admin_server, hall, other)
    # The filter picks the other queue's resident even though the window's own waits.
    message = staff.flash(staff.post(f"{console}/call-next", {"queues": other}))
    assert foreign["number"] in message
    message = staff.flash(staff.post(f"{console}/transfer", {"queue": own}))
    assert f"已转到 {own} 队列" in message
    public = requests.get(f"{admin_server.api}/public/tickets/{foreign['id']}", timeout=30).json()
    assert public["state"] == "waiting" and public["queue"] == own
    # Nothing at the window now: recall is refused with the server's message.
    assert "没有正在处理的号码" in staff.flash(staff.post(f"{console}/recall"))
    # An unknown action is a 404 page, not a server error.
    assert staff.post(f"{console}/explode").status_code == 404
    staff.flash(staff.post(f"{console}/call-next"))
    called = requests.get(f"{admin_server.api}/public/tickets/{mine['id']}", timeout=30).json()
    transferred = requests.get(
        f"{admin_server.api}/public/tickets/{foreign['id']}", timeout=30
    ).json()
    assert "called" in (called["state"], transferred["state"])


def test_a_draft_overtaken_by_another_publication_is_flagged(
    admin_server: RunningServer,
) -> None:
    hall = "sanjian-pingan-yuan"
    staff = staff_client(admin_server, hall)
    notice = kiosk_content(admin_server, hall)["content"]["notices"][0]
    r = staff.get(f"/admin/halls/{hall}/notices/{notice['id']}")
    assert r.status_code == 200
    staff.flash(
        staff.post(f"/admin/halls/{hall}/notices/{notice['id']}/move", {"direction": "down"})
    )
    person = kiosk_content(admin_server, hall)["content"]["staff"][0]["id"]
    # A status change publishes a version but is also in the draft: no warning.
    staff.flash(staff.post(f"/admin/halls/{hall}/staff/{person}/status", {"status": "meeting"}))
    assert "这份草稿基于" not in staff.get(f"/admin/halls/{hall}").text
    # A publication through the API (not through this draft) is flagged.
    login = admin_server.credentials["admin"]
    token = requests.post(f"{admin_server.api}/auth/token", json=login, timeout=30).json()
    content = kiosk_content(admin_server, hall)["content"]
    r = requests.put(
        f"{admin_server.api}/halls/{hall}/content",
        json=content,
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    assert "这份草稿基于" in staff.get(f"/admin/halls/{hall}").text
    staff.flash(staff.post(f"/admin/halls/{hall}/discard"))
    assert "这份草稿基于" not in staff.get(f"/admin/halls/{hall}").text
