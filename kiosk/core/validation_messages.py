"""Chinese for pydantic's validation errors, and the field path a person reads.

One table for the whole system: hall content (:mod:`kiosk.core.content`), the API's
answers to bad requests (:mod:`kiosk.server.errors`) and the admin forms all say the same
thing about the same mistake, e.g. ``services[3].steps[0].title：不能为空``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic_core import ErrorDetails

__all__ = ["MESSAGES", "error_message", "field_path"]

#: pydantic's error type → what it means, in Chinese.
MESSAGES: dict[str, str] = {
    "missing": "缺少此项",
    "extra_forbidden": "不认识的字段",
    "string_too_short": "不能为空",
    "string_too_long": "文字太长",
    "string_pattern_mismatch": "格式不对",
    "string_type": "应为文字",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "finite_number": "应为有限的数字（不能是 Infinity 或 NaN）",
    "bool_type": "应为是/否",
    "bool_parsing": "应为是/否",
    "list_type": "应为列表",
    "too_short": "至少需要一项",
    "too_long": "项数太多",
    "greater_than_equal": "数值太小",
    "greater_than": "数值太小",
    "less_than_equal": "数值太大",
    "less_than": "数值太大",
    "datetime_type": "应为日期时间",
    "datetime_parsing": "日期时间格式不对",
    "datetime_from_date_parsing": "日期时间格式不对",
    "date_type": "应为日期",
    "date_parsing": "日期格式不对",
    "date_from_datetime_parsing": "日期格式不对",
    "date_from_datetime_inexact": "日期格式不对",
    "enum": "不是允许的取值",
    "literal_error": "不是允许的取值",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "dict_type": "应为对象",
    "json_invalid": "不是有效的 JSON",
    "json_type": "不是有效的 JSON",
}

#: Where FastAPI says a request's value came from: not part of the field's name.
_REQUEST_PARTS = ("body", "query", "path", "header", "cookie")


def error_message(error: ErrorDetails | dict[str, Any]) -> str:
    """One pydantic error in Chinese: a validator's own message, else the table's."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    minimum = ctx.get("min_length")
    if kind == "string_too_short" and isinstance(minimum, int) and minimum > 1:
        return f"至少 {minimum} 个字"
    if kind == "too_short" and isinstance(minimum, int) and minimum > 1:
        return f"至少需要 {minimum} 项"
    return MESSAGES.get(kind, str(error.get("msg", "不正确")))


def field_path(loc: Sequence[int | str], *, request: bool = False) -> str:
    """``("services", 3, "steps", 0, "title")`` → ``services[3].steps[0].title``.

    With ``request``, the leading part FastAPI adds (``body``, ``query``, …) is dropped;
    a value that is the whole body is named ``body``.
    """
    parts = list(loc)
    if request and parts and parts[0] in _REQUEST_PARTS:
        where = parts.pop(0)
        if not parts:
            return "body" if where == "body" else str(where)
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
