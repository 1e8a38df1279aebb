"""A request's readable number and its 查询码."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.request_numbers import (
    format_number,
    new_public_id,
    new_query_code,
    parse_number,
    parse_query_code,
)


@dataclass
class Taken:
    """The hall's codes in use, as a rule instead of a million-entry set."""

    rule: Callable[[str], bool]

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and self.rule(code)


def test_numbers_and_query_codes() -> None:
    assert format_number("HY", 2026, 123) == "HY-2026-000123"
    parsed = parse_number(" hy-2026-000123 ")
    assert (parsed.hall, parsed.year, parsed.seq, str(parsed)) == (
        "HY",
        2026,
        123,
        "HY-2026-000123",
    )
    for bad in ("HY-2026-123", "H-2026-000123", "HY-2026-000000", "HY2026000123", ""):
        with pytest.raises(ValueError, match=r"诉求编号|序号"):
            parse_number(bad)
    with pytest.raises(ValueError, match="大厅编码"):
        format_number("hy", 2026, 1)
    codes = {new_query_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() and len(set(c)) > 1 for c in codes)
    assert len(codes) > 190  # random, not a counter
    assert new_query_code(Taken(lambda code: not code.startswith("1"))).startswith("1")
    with pytest.raises(RuntimeError, match="查询码已用尽"):
        new_query_code(Taken(lambda code: True))
    assert parse_query_code("048 213") == "048213"
    for bad in ("04821", "0482133", "abcdef", "０４８２１３"):
        with pytest.raises(ValueError, match="6 位数字"):
            parse_query_code(bad)


@given(
    hall=st.from_regex(r"[A-Z]{2,4}", fullmatch=True),
    year=st.integers(2000, 9999),
    seq=st.integers(1, 999_999),
)
def test_number_round_trip(hall: str, year: int, seq: int) -> None:
    assert str(parse_number(format_number(hall, year, seq))) == format_number(hall, year, seq)


def test_public_ids_are_long_and_url_safe() -> None:
    ids = {new_public_id() for _ in range(100)}
    assert len(ids) == 100 and all(
        len(i) == 22 and i.replace("-", "").replace("_", "").isalnum() for i in ids
    )
