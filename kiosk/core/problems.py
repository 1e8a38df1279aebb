"""The one table of what a validation problem is called in Chinese, and where it is.

pydantic names each problem by a type (``missing``, ``int_type``, …); the content loader
(:mod:`kiosk.core.content`, whose problems the admin forms show) and the API's 422 answers
(``kiosk.server.errors``) say it to a person in Chinese, from :data:`FIELD_MESSAGES`, at
the place :func:`field_path` writes (``services[0].steps[1].title``).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["FIELD_MESSAGES", "field_path"]

FIELD_MESSAGES: dict[str, str] = {
    "missing": "缺少此项",
    "extra_forbidden": "不认识的字段",
    "string_too_short": "太短或为空",
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
    "too_short": "项数太少",
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
"""pydantic's error type -> what a person reads (a field's own ``ValueError`` says its own)."""


def field_path(loc: Sequence[int | str]) -> str:
    """A pydantic error location as text: ``("services", 0, "name")`` -> ``services[0].name``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
