"""The households pages in Chromium at phone width (390 px): the list, a household's
page, the form with its errors, the import's column mapping and dry run — each fits
without sideways scrolling, shows its Chinese text, and the import runs end to end from
the file chooser. Screenshots go to ``$HOUSEHOLDS_SHOTS`` when set (docs/screenshots/)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.utils.admin_web import staff_client
from tests.utils.servers import RunningServer, start_server

HALL = "huayang"
CSV = (
    "姓名,电话,出生年份,楼号,单元,室,标签,网格员\n"
    "陈阿婆,13812345601,1937,5,2,401,高龄独居,\n"
    "陈伯伯,13812345602,1935,5,2,401,,\n"
    "林先生,1381234,1968,5,2,402,,\n"
    "黄女士,13812345604,1975,,,,低保,\n"
    "何大爷,13812345601,1940,6,1,101,空巢,\n"
    "马奶奶,13812345606,1942,6,1,102,残疾,不认识的人\n"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("households-browser"))
    yield running
    running.stop()


def _shot(page: Any, name: str, tmp_path: Path) -> None:
    target = Path(os.environ.get("HOUSEHOLDS_SHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / f"households-{name}.png"), full_page=True)


def _fits(page: Any) -> None:
    wide = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 0, f"{page.url}: {wide} px sideways"


def test_households_pages_at_phone_width(
    browser: Any, server: RunningServer, tmp_path: Path
) -> None:
    staff = staff_client(server, HALL)
    r = staff.post(
        f"/admin/halls/{HALL}/households-new",
        {
            "address": "3-2-501",
            "tag": ["高龄独居"],
            "emergency_contact": "女儿 王丽 13900001111",
            "notes": "独居，每周二女儿来",
            "m0_name": "王秀兰",
            "m0_birth_year": "1941",
            "m0_phone": "13812341234",
            "m0_relation": "户主",
        },
    )
    household = r.headers["location"].rsplit("/", 1)[-1]
    staff.post(
        f"/admin/halls/{HALL}/households-new",
        {
            "address": "3-1-202",
            "tag": ["低保", "残疾"],
            "m0_name": "赵建国",
            "m0_phone": "13700002222",
        },
    )
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(30_000)
    page = context.new_page()
    login = server.credentials["staff"][HALL]
    page.goto(f"{server.base_url}/admin/login")
    page.fill("#username", login["username"])
    page.fill("#password", login["password"])
    with page.expect_navigation():
        page.click("button[type=submit]")
    base = f"{server.base_url}/admin/halls/{HALL}"

    page.goto(f"{base}/households")
    assert "138****1234" in page.inner_text("main") and "王**" in page.inner_text("main")
    _fits(page)
    _shot(page, "list", tmp_path)

    page.goto(f"{base}/households/{household}")
    text = page.inner_text("main")
    assert "13812341234" in text and "王秀兰" in text and "高风险" in text
    _fits(page)
    _shot(page, "household", tmp_path)

    page.goto(f"{base}/households-new")
    page.fill("#h-address", "三号楼")
    page.fill("#m0-name", "李四")
    page.fill("#m0-phone", "1391234")
    page.click("button:has-text('保存')")
    assert "手机号应为 11 位数字" in page.inner_text("main")
    _fits(page)
    _shot(page, "form-errors", tmp_path)

    page.goto(f"{base}/households-import")
    page.set_input_files(
        "#i-file", files=[{"name": "台账.csv", "mimeType": "text/csv", "buffer": CSV.encode()}]
    )
    with page.expect_navigation():
        page.click("button:has-text('上传并核对各列')")
    assert page.locator("#map-phone").input_value() == "1"
    assert "13812345601" not in page.content()
    _fits(page)
    _shot(page, "import-mapping", tmp_path)

    with page.expect_navigation():
        page.click("button:has-text('预检')")
    text = page.inner_text("main")
    assert "手机号应为 11 位" in text and "缺少住址" in text and "与第 2 行重复" in text
    assert "不在本社区工作人员名单中" in text
    _fits(page)
    _shot(page, "import-dry-run", tmp_path)

    with page.expect_navigation():
        page.click("button:has-text('确认导入')")
    assert "已导入 1 户、2 人" in page.inner_text("main")
    assert "5-2-401" in page.inner_text("main")
    context.close()
