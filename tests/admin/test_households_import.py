"""Importing households from a spreadsheet on the real server: CSV (UTF-8 and GBK) and
XLSX, the columns guessed from the headers, a dry run naming every refused row and why,
confirm importing only the good rows — and the retention job, on a moved clock, erasing
what moved away."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator

import pytest
from openpyxl import Workbook  # type: ignore[import-untyped]

from kiosk.core import clock
from kiosk.server import jobs
from kiosk.server.db import Database
from kiosk.server.households import importing as imp
from tests.utils.admin_web import AdminClient, db, staff_client
from tests.utils.hall_clock import set_hall_time
from tests.utils.servers import RunningServer, start_server

HALL = "youyi-yuan"
HEADERS = ["姓名", "联系电话", "出生年月", "楼号", "单元", "室", "人员类别", "备注"]
ROWS = [
    ["张桂兰", "13812340001", "1940-05-01", "1", "2", "301", "高龄独居", "耳背，敲门要重"],
    ["李国强", "1381234", "1950", "1", "2", "302", "", ""],  # bad phone
    ["王芳", "13812340003", "1962", "", "", "", "低保", ""],  # no address
    ["赵大海", "13812340001", "1961", "2", "1", "101", "", ""],  # phone of row 2 again
    ["", "", "", "", "", "", "", ""],  # blank: skipped, not refused
    ["孙梅", "13812340005", "1890", "2", "1", "102", "", ""],  # year out of range
    ["周建华", "13812340006", "1955", "2", "1", "103", "残疾", ""],
    ["周小红", "", "1985", "2", "1", "103", "", ""],  # same household as row 8
    ["吴刚", "13812340008", "1970", "3", "1", "201", "", ""],
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("households-import"))
    yield running
    running.stop()


def _csv(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    return "\n".join(",".join(r) for r in [HEADERS, *rows]).encode(encoding)


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(staff: AdminClient, name: str, data: bytes) -> tuple[str, str]:
    r = staff.http.post(
        f"{staff.base}/admin/halls/{HALL}/households-import",
        data={"csrf": staff.csrf},
        files={"file": (name, data)},
        timeout=60,
        allow_redirects=False,
    )
    assert r.status_code == 200, r.text[:500]
    found = re.search(r'name="import_id" value="([0-9a-f]+)"', r.text)
    assert found, r.text[:500]
    return found.group(1), r.text


def _guessed(page: str) -> dict[str, str]:
    out = {}
    for key, select in re.findall(
        r'<select id="map-(\w+)" name="map_\w+">(.*?)</select>', page, re.S
    ):
        chosen = re.search(r'<option value="(\d+)" selected>', select)
        if chosen:
            out[f"map_{key}"] = chosen.group(1)
    return out


def test_csv_mapping_dry_run_and_confirm(server: RunningServer) -> None:
    staff = staff_client(server, HALL)
    import_id, page = _upload(staff, "台账.csv", _csv(ROWS))
    mapping = _guessed(page)
    assert mapping == {
        "map_name": "0",
        "map_phone": "1",
        "map_birth_year": "2",
        "map_building": "3",
        "map_unit": "4",
        "map_room": "5",
        "map_tags": "6",
        "map_notes": "7",
    }
    assert "13812340001" not in page and "张桂兰" not in page  # samples are masked
    r = staff.post(
        f"/admin/halls/{HALL}/households-import/dry-run", {"import_id": import_id, **mapping}
    )
    assert r.status_code == 200, r.text[:500]
    text = re.sub(r"<[^>]+>", " ", r.text)
    refused = dict(
        re.findall(
            r'data-label="行号">(\d+)</td><td data-label="住户">[^<]*</td>'
            r'<td data-label="原因">([^<]*)<',
            r.text,
        )
    )
    assert set(refused) == {"3", "4", "5", "7"}, refused
    assert "手机号应为 11 位" in refused["3"]
    assert "缺少住址" in refused["4"]
    assert "与第 2 行重复" in refused["5"]
    assert "出生年份" in refused["7"]
    assert "可导入" in text and "3 户" in text and "4 人" in text
    with db(server) as conn:
        assert (
            conn.execute("SELECT count(*) FROM households WHERE hall_id = ?", (HALL,)).fetchone()[0]
            == 0
        )
    said = staff.flash(
        staff.post(
            f"/admin/halls/{HALL}/households-import/confirm", {"import_id": import_id, **mapping}
        )
    )
    assert said == "已导入 3 户、4 人；4 行未导入（原因见预检）", said
    listing = staff.get(f"/admin/halls/{HALL}/households").text
    for address in ("1-2-301", "2-1-103", "3-1-201"):
        assert address in listing
    assert "138****0001" in listing and "13812340001" not in listing
    with db(server) as conn:
        members = conn.execute(
            "SELECT count(*) FROM household_members m JOIN households h ON h.id = m.household_id "
            "WHERE h.address = '2-1-103'"
        ).fetchone()[0]
        imports = conn.execute("SELECT count(*) FROM household_imports").fetchone()[0]
        audited = conn.execute(
            "SELECT count(*) FROM household_audit WHERE action = 'import'"
        ).fetchone()[0]
    assert (members, imports, audited) == (2, 0, 3)
    # The same upload cannot be confirmed twice; the same file again finds the duplicates.
    again = staff.post(
        f"/admin/halls/{HALL}/households-import/confirm", {"import_id": import_id, **mapping}
    )
    assert again.status_code == 404 and "重新上传" in again.text
    second_id, page = _upload(staff, "台账.csv", _csv(ROWS))
    r = staff.post(
        f"/admin/halls/{HALL}/households-import/dry-run",
        {"import_id": second_id, **_guessed(page)},
    )
    assert "已经登记过一户" in r.text and "确认导入" not in r.text


def test_xlsx_and_gbk_csv_are_read(server: RunningServer) -> None:
    staff = staff_client(server, HALL)
    rows: list[list[object]] = [["郑老伯", 13912340011, 1936, 8, 1, 501, "空巢、独居", None]]
    import_id, page = _upload(staff, "名单.xlsx", _xlsx(rows))
    r = staff.post(
        f"/admin/halls/{HALL}/households-import/dry-run", {"import_id": import_id, **_guessed(page)}
    )
    assert "8-1-501" in r.text and "高风险" in r.text, r.text[:2000]
    import_id, page = _upload(
        staff, "gbk.csv", _csv([["冯奶奶", "13912340012", "1939", "8", "2", "502", "", ""]], "gbk")
    )
    r = staff.post(
        f"/admin/halls/{HALL}/households-import/dry-run", {"import_id": import_id, **_guessed(page)}
    )
    assert "8-2-502" in r.text


@pytest.mark.parametrize(
    ("name", "data", "said"),
    [
        ("a.xls", b"\xd0\xcf\x11\xe0old", "另存为 .xlsx"),
        ("a.xlsx", b"PK\x03\x04broken", "无法打开这个 XLSX"),
        ("a.csv", b"", "请选择要导入"),
        ("a.pdf", b"%PDF-1.4", "只能导入 CSV 或 XLSX"),
    ],
)
def test_bad_files_get_a_clear_chinese_answer(
    server: RunningServer, name: str, data: bytes, said: str
) -> None:
    staff = staff_client(server, HALL)
    r = staff.http.post(
        f"{staff.base}/admin/halls/{HALL}/households-import",
        data={"csrf": staff.csrf},
        files={"file": (name, data)},
        timeout=60,
    )
    assert r.status_code == 422 and said in r.text, (r.status_code, r.text[:300])


def test_a_mapping_without_name_or_address_is_sent_back(server: RunningServer) -> None:
    staff = staff_client(server, HALL)
    import_id, _page = _upload(staff, "x.csv", _csv(ROWS[:1]))
    r = staff.post(
        f"/admin/halls/{HALL}/households-import/dry-run", {"import_id": import_id, "map_phone": "1"}
    )
    assert r.status_code == 422 and "请指定哪一列是姓名" in r.text
    r = staff.post(f"/admin/halls/{HALL}/households-import/dry-run", {"import_id": "nope"})
    assert r.status_code == 404 and "重新上传" in r.text


def test_guess_mapping_prefers_exact_headers() -> None:
    assert imp.guess_mapping(["住址", "户主姓名", "手机号码", "网格员"]) == {
        "address": 0,
        "name": 1,
        "phone": 2,
        "staff": 3,
    }


def test_retention_job_on_a_moved_clock_erases_what_moved_away(server: RunningServer) -> None:
    staff = staff_client(server, HALL)
    r = staff.post(
        f"/admin/halls/{HALL}/households-new",
        {"address": "12-1-101", "m0_name": "褚七", "m0_phone": "13600001212"},
    )
    household = r.headers["location"].rsplit("/", 1)[-1]
    staff.flash(staff.post(f"/admin/halls/{HALL}/households/{household}/moved-away"))
    database = Database(f"sqlite:///{server.data_dir / 'kiosk.sqlite3'}")
    job = next(j for j in jobs.JOBS if j.name == "household_retention")
    runner = jobs.JobRunner(database, [job], poll_seconds=1)
    start = clock.now()
    try:
        set_hall_time((start + dt.timedelta(days=179)).isoformat())
        assert str(database.write_sync(lambda c: runner.run_if_due(c, job))).startswith("erased 0")
        set_hall_time((start + dt.timedelta(days=181)).isoformat())
        assert str(database.write_sync(lambda c: runner.run_if_due(c, job))).startswith("erased 1")
        assert database.write_sync(lambda c: runner.run_if_due(c, job)) is None  # once a day
    finally:
        set_hall_time(start.isoformat())
        database.close()
    with db(server) as conn:
        row = conn.execute(
            "SELECT erased_at, notes_enc FROM households WHERE id = ?", (household,)
        ).fetchone()
        member = conn.execute(
            "SELECT name_enc, phone_enc, phone_hash FROM household_members WHERE household_id = ?",
            (household,),
        ).fetchone()
    assert row["erased_at"] is not None
    assert tuple(member) == (None, None, None)
    page = staff.get(f"/admin/halls/{HALL}/households/{household}").text
    assert "已于" in page and "删除" in page and "褚七" not in page
