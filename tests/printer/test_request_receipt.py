"""The request receipt (诉求回执) as ESC/POS bytes: 查询码, number or its note, deadline, QR."""

from __future__ import annotations

import datetime as dt

from kiosk.printer import RequestReceipt, request_receipt_bytes

AT = dt.datetime(2026, 12, 2, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _receipt(number: str | None) -> RequestReceipt:
    return RequestReceipt(
        query_code="048213",
        number=number,
        hall_name="华阳社区居委会",
        category_label="报修",
        deadline_text="3 个工作日内答复",
        made_at=AT,
        qr_url="http://hall.example/r/AbCdEfGhIjKlMnOpQrStUv",
    )


def test_request_receipt_shows_code_deadline_and_qr() -> None:
    data = request_receipt_bytes(_receipt("HY-2026-000123"))
    for text in ("048213", "HY-2026-000123", "3 个工作日内答复", "报修", "2026-12-02 09:30"):
        assert text.encode("gb18030") in data, text
    assert b"/r/AbCdEfGhIjKlMnOpQrStUv" in data or b"\x1dv0" in data  # native QR or raster


def test_offline_receipt_says_the_number_comes_later() -> None:
    data = request_receipt_bytes(_receipt(None))
    assert "编号联网后生成".encode("gb18030") in data
    assert b"HY-" not in data
