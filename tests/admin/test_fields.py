"""Typed dates and times of the admin forms (kiosk/server/admin/fields.py): what a clerk
types is read in the hall's zone, anything else gets a Chinese message naming the
expected form — in the editor, the staff board's return time and the statistics filter."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from kiosk.core.clock import HALL_TZ
from kiosk.server.admin.fields import (
    DATE_PATTERN,
    DATETIME_PATTERN,
    TIME_PATTERN,
    typed_date,
    typed_datetime,
    typed_time,
)
from tests.utils.admin_web import kiosk_content, staff_client
from tests.utils.servers import RunningServer

CN = HALL_TZ
HALL = "youyi-yuan"


@pytest.mark.parametrize(
    "text",
    ["2026-12-02", "2026-12-2", "2026/12/02", "2026.12.2", "2026年12月2日", "２０２６－１２－０２"],
)
def test_dates_a_clerk_types(text: str) -> None:
    assert typed_date(text) == dt.date(2026, 12, 2)
    # The browser's pattern= takes the same (it is matched before NFKC, as typed).
    assert re.fullmatch(DATE_PATTERN, text)


@pytest.mark.parametrize("text", ["12/02/2026", "02.12.26", "2026-12", "明天", "", "2026-02-30"])
def test_dates_refused_with_the_form_expected(text: str) -> None:
    with pytest.raises(ValueError, match="2026-12-02"):
        typed_date(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("08:30", "08:30"), ("8:30", "08:30"), ("8.30", "08:30"), ("８：３０", "08:30"),
     ("19点05分", "19:05"), ("23:59", "23:59"), ("0:00", "00:00")],
)  # fmt: skip
def test_times_a_clerk_types(text: str, expected: str) -> None:
    assert typed_time(text) == expected
    assert re.fullmatch(TIME_PATTERN, text)


@pytest.mark.parametrize("text", ["07:30 PM", "7:30pm", "24:00", "8:60", "830", "", "上午8点"])
def test_times_refused_24_hour_only(text: str) -> None:
    with pytest.raises(ValueError, match="24 小时制"):
        typed_time(text)
    if text not in ("24:00", "8:60"):  # the pattern checks the form, the server the range
        assert not re.fullmatch(TIME_PATTERN, text)


def test_datetimes_in_the_halls_zone() -> None:
    want = dt.datetime(2026, 12, 24, 19, 30, tzinfo=CN)
    for text in (
        "2026-12-24 19:30",
        "2026-12-24T19:30",
        "2026/12/24 19.30",
        "2026年12月24日 19:30",
    ):
        assert typed_datetime(text, CN) == want
        assert re.fullmatch(DATETIME_PATTERN, text)
    # An ISO time with its own offset keeps it (the API's form; older forms posted it).
    assert typed_datetime("2026-12-24T11:30:00+00:00", CN) == want
    for text in ("2026-12-24", "12/24/2026 7:30 PM", "19:30"):
        with pytest.raises(ValueError, match="2026-12-02"):
            typed_datetime(text, CN)


def test_the_server_reads_typed_times_and_refuses_others(admin_server: RunningServer) -> None:
    staff = staff_client(admin_server, HALL)
    person = kiosk_content(admin_server, HALL)["content"]["staff"][2]
    status = f"/admin/halls/{HALL}/staff/{person['id']}/status"
    message = staff.flash(
        staff.post(status, {"status": "visiting", "until_time": "7:30 PM", "until_date": ""})
    )
    assert "返回时间格式不对" in message and "24 小时制" in message
    message = staff.flash(
        staff.post(
            status, {"status": "visiting", "until_time": "19.30", "until_date": "12/24/2026"}
        )
    )
    assert "返回日期格式不对" in message and "2026-12-02" in message
    message = staff.flash(
        staff.post(
            status, {"status": "visiting", "until_time": "19.30", "until_date": "2030年1月2日"}
        )
    )
    assert "外出走访" in message
    shown = next(
        s for s in kiosk_content(admin_server, HALL)["content"]["staff"] if s["id"] == person["id"]
    )
    assert shown["status_until"].startswith("2030-01-02T19:30:00+08:00")
    staff.flash(staff.post(status, {"status": "on_duty"}))

    r = staff.get("/admin/stats?from=11/26/2026&to=2026-12-02")
    assert r.status_code == 400 and "2026-12-02" in r.text
    r = staff.get("/admin/stats?from=2026年11月26日&to=2026/12/2")
    assert r.status_code == 200
    assert 'value="2026-11-26"' in r.text and 'value="2026-12-02"' in r.text
