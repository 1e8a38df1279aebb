"""The requests pages on PostgreSQL: the counter form, the board and its filters, a
request's life with notes and assign (across halls by the district), the diary turned
into a request, and the figures on the statistics page and CSV. (Skipped loudly where
PostgreSQL cannot run.)"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest

from tests.utils.admin_web import admin_client, kiosk_request, staff_client
from tests.utils.servers import RunningServer, start_server

pytestmark = pytest.mark.postgres
HALL = "huayang"
OTHER = "xiandai-yicheng"


@pytest.fixture(scope="module")
def pg_server(
    postgres_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("req-pg"), database_url=postgres_database_url)
    yield running
    running.stop()


def test_requests_pages_on_postgres(pg_server: RunningServer) -> None:
    staff = staff_client(pg_server, HALL)
    r = staff.post(
        f"/admin/halls/{HALL}/requests/new",
        {
            "category": "repair",
            "phrases": "水管漏水",
            "location": "3-2-501",
            "phone": "13812341234",
            "name": "王大爷",
            "channel": "phone",
        },
    )
    assert r.status_code == 303, r.text[:300]
    request_id = r.headers["location"].rsplit("/", 1)[-1]
    board = staff.get(f"/admin/halls/{HALL}/requests?category=repair&state=registered").text
    assert "138****1234" in board and "13812341234" not in board and "正常" in board
    page = staff.get(f"/admin/requests/{request_id}").text
    assert "13812341234" in page and "王大爷" in page
    for action, form in [
        ("accept", {}),
        ("ask_info", {"note": "请提供漏水照片"}),
        ("supply_info", {"note": "已补充"}),
        ("schedule", {"expected_date": "2026-12-04"}),
        ("resolve", {"answer": "已维修"}),
        ("follow_up", {"note": "居民满意"}),
    ]:
        message = staff.flash(staff.post(f"/admin/requests/{request_id}/actions/{action}", form))
        assert message.startswith("HU-2026-") and "已" in message, (action, message)
    assert "内部" in staff.flash(
        staff.post(f"/admin/requests/{request_id}/notes", {"text": "内部备注", "public": "0"})
    )
    kiosk_id = kiosk_request(pg_server, HALL, voice=True, phrases=[])
    assert staff.get(f"/admin/requests/{kiosk_id}/voice-note").status_code == 200
    district = admin_client(pg_server)
    r = district.post(f"/admin/requests/{kiosk_id}/assign", {"hall_id": OTHER, "staff_id": ""})
    assert "已分派" in district.flash(r)
    assert staff.get(f"/admin/requests/{kiosk_id}").status_code == 403
    assert "全部大厅" in district.get("/admin/requests").text
    staff.post("/admin/diary", {"day": "2026-12-02", "text": "PG 上的日记", "tags": "楼道 照明"})
    diary = staff.get("/admin/diary").text
    entry = re.search(r"/admin/diary/(\d+)/to-request", diary)
    assert entry
    r = staff.post(f"/admin/diary/{entry.group(1)}/to-request", {"category": "help"})
    assert "已由民情日记登记为诉求" in staff.flash(r)
    assert "按时办结率" in staff.get("/admin/stats").text
    rows = list(
        csv.reader(io.StringIO(staff.get("/admin/stats/requests.csv").content.decode("utf-8-sig")))
    )
    total = next(row for row in rows if row[:2] == ["合计", "全部"])
    assert int(total[2]) >= 2 and int(total[3]) >= 1  # the kiosk one went to the other hall
