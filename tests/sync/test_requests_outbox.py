"""The request outbox (诉求): durable before the receipt, survives a restart, caches."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from kiosk.core.request_numbers import parse_query_code
from kiosk.sync.requests_outbox import RequestOutbox, default_categories

AT = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _outbox(path: Path) -> RequestOutbox:
    return RequestOutbox(path, public_base=lambda: "http://hall.example", clock=lambda: AT)


def test_a_request_is_on_disk_when_add_returns_and_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    box = _outbox(path)
    repair = next(c for c in box.categories() if c.id == "repair")
    made = box.add(repair, ["水管漏水"], location="3-2-501", phone="13812341234")
    assert parse_query_code(made.query_code) == made.query_code
    assert len(made.public_id) == 22
    assert made.url == f"http://hall.example/r/{made.public_id}"
    assert made.deadline_text == "3 个工作日内答复"
    assert made.status == "pending" and made.number is None
    box.close()
    again = _outbox(path)
    (kept,) = again.pending()
    assert kept == made
    assert again.backlog() == 1
    assert again.by_query_code(made.query_code) == [made]
    body = kept.create()
    assert body.phrases == ["水管漏水"] and body.location == "3-2-501"
    assert body.created_at == AT


def test_delivery_keeps_the_number_and_forgets_the_phone(tmp_path: Path) -> None:
    box = _outbox(tmp_path / "o.sqlite3")
    made = box.add(default_categories()[0], ["电梯故障"], phone="13812341234")
    done = box.delivered(
        made.idempotency_key,
        {"number": "MS-2026-000001", "state_label": "已登记", "deadline_text": "3 个工作日内办结"},
    )
    assert done is not None and done.delivered
    assert done.number == "MS-2026-000001" and done.phone is None
    assert done.deadline_text == "3 个工作日内办结"
    assert box.pending() == [] and box.backlog() == 0


def test_query_codes_differ_on_one_kiosk(tmp_path: Path) -> None:
    box = _outbox(tmp_path / "o.sqlite3")
    cat = default_categories()[0]
    codes = {box.add(cat, []).query_code for _ in range(50)}
    assert len(codes) == 50


def test_categories_cache_and_first_run_defaults(tmp_path: Path) -> None:
    box = _outbox(tmp_path / "o.sqlite3")
    first = box.categories()
    assert [c.label for c in first[:5]] == ["报修", "求助", "咨询", "投诉建议", "预约上门"]
    assert all(c.phrases for c in first)
    box.keep_categories(first[:2])
    assert [c.id for c in _outbox(tmp_path / "o.sqlite3").categories()] == ["repair", "help"]
    assert box.board() is None
    box.keep_board({"month": "2026-12", "received": 3}, AT)
    board = box.board()
    assert board is not None and board.figures["received"] == 3 and board.fetched_at == AT
