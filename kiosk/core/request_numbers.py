"""A request's three names: the readable number, the 6-digit 查询码 and the public id.

- The readable number ``HY-2026-000123``: the hall's code (2–4 capital letters), the year
  of registration in the hall's zone and a six-digit sequence per hall and year, said over
  the phone and printed on the receipt (:func:`format_number`, :func:`parse_number`).
- The 查询码 ``048213``: six digits the resident types on the kiosk's number pad to look
  the request up (:func:`new_query_code`, random from :mod:`secrets`; unique among the
  hall's open requests, the server checks).
- The public id: 22 URL-safe characters (128 random bits) naming the phone page
  ``/r/{public_id}`` (:func:`new_public_id`).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Container
from dataclasses import dataclass

__all__ = [
    "QUERY_CODE_DIGITS",
    "RequestNumber",
    "format_number",
    "new_public_id",
    "new_query_code",
    "parse_number",
    "parse_query_code",
]

QUERY_CODE_DIGITS = 6
_NUMBER = re.compile(r"([A-Z]{2,4})-(\d{4})-(\d{6})")
_HALL = re.compile(r"[A-Z]{2,4}")
_SEQ_MAX = 999_999


@dataclass(frozen=True, order=True)
class RequestNumber:
    hall: str
    year: int
    seq: int

    def __str__(self) -> str:
        return format_number(self.hall, self.year, self.seq)


def format_number(hall: str, year: int, seq: int) -> str:
    """``HY-2026-000123``; a ValueError (in Chinese) for a part out of range."""
    if not isinstance(hall, str) or not _HALL.fullmatch(hall):
        raise ValueError(f"大厅编码应为 2–4 个大写字母，而不是 {hall!r}")
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 9999:
        raise ValueError(f"年份应在 2000–9999 之间，而不是 {year!r}")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= _SEQ_MAX:
        raise ValueError(f"序号应在 1–{_SEQ_MAX} 之间，而不是 {seq!r}")
    return f"{hall}-{year:04d}-{seq:06d}"


def parse_number(text: str) -> RequestNumber:
    """The parts of a readable number, forgiving spaces and lower case; else a ValueError."""
    if not isinstance(text, str):
        raise ValueError(f"诉求编号应为文字，而不是 {type(text).__name__}")
    found = _NUMBER.fullmatch(text.strip().upper())
    if found is None:
        raise ValueError(f"不是有效的诉求编号：{text!r}（例如 HY-2026-000123）")
    hall, year, seq = found.group(1), int(found.group(2)), int(found.group(3))
    format_number(hall, year, seq)  # the same range checks as formatting
    return RequestNumber(hall, year, seq)


def new_query_code(taken: Container[str] = frozenset()) -> str:
    """A fresh random 查询码 not in ``taken``, never one with all six digits the same."""
    for _ in range(1000):
        code = f"{secrets.randbelow(10**QUERY_CODE_DIGITS):0{QUERY_CODE_DIGITS}d}"
        if len(set(code)) > 1 and code not in taken:
            return code
    raise RuntimeError("查询码已用尽，请联系管理员")  # 10^6 codes: only if taken is near full


def parse_query_code(text: str) -> str:
    """The 查询码 as typed (spaces allowed), or a ValueError telling the resident why."""
    digits = "".join(str(text).split()) if isinstance(text, str) else ""
    if len(digits) != QUERY_CODE_DIGITS or not digits.isascii() or not digits.isdigit():
        raise ValueError("查询码是回执上的 6 位数字，请核对后重新输入")
    return digits


def new_public_id() -> str:
    """An unguessable id for the request's phone page (22 URL-safe characters)."""
    return secrets.token_urlsafe(16)
