"""What a resident's register entry may hold: one validator per kind of input.

A phone (:func:`check_phone`), a year of birth (:func:`check_birth_year`), an address in
the register's form 楼号-单元-室 (:func:`check_address`) and the household tags
(:func:`check_tags`). Each returns the normalised value or raises ``ValueError`` with a
Chinese message for the staff member who typed it (or whose spreadsheet held it). The
households register, its import and the requests store use these; nothing else checks
a resident's phone or address.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "KNOWN_TAGS",
    "MEMBER_RELATIONS",
    "check_address",
    "check_birth_year",
    "check_name",
    "check_phone",
    "check_tags",
]

#: The tags offered on the form (others may be typed); from the 五必访 work rules.
KNOWN_TAGS = (
    "高龄独居",
    "空巢",
    "独居",
    "重病",
    "失能",
    "低保",
    "特困",
    "残疾",
    "优抚",
    "困境儿童",
    "失独",
    "新住户",
)
MEMBER_RELATIONS = ("户主", "配偶", "子女", "父母", "孙辈", "兄弟姐妹", "租户", "其他")

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{9,11}$")
_ADDRESS = re.compile(
    r"^(?P<b>[0-9A-Za-z]{1,6})\s*(?:号楼|号|栋|幢|座|-)\s*"
    r"(?P<u>\d{1,3})\s*(?:单元|-)\s*"
    r"(?P<r>[0-9A-Za-z]{1,6})\s*(?:室|号)?$"
)


def check_phone(text: str) -> str:
    """A mainland mobile (11 digits, 1[3-9]…) or a landline with its area code, as digits.

    Spaces, dashes and a leading +86 / 86 are forgiven.
    """
    raw = str(text).strip()
    digits = re.sub(r"[\s\-()（）]", "", raw)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not digits:
        raise ValueError("请填写电话号码")
    if not digits.isascii() or not digits.isdigit():
        raise ValueError("电话号码只能包含数字（可带区号和连字符）")
    if _MOBILE.match(digits) or _LANDLINE.match(digits):
        return digits
    if digits.startswith("1"):
        raise ValueError("手机号应为 11 位数字，以 13–19 开头")
    raise ValueError("电话号码格式不对：手机号 11 位，座机请带区号（如 0571-88001234）")


def check_birth_year(text: str | int, *, this_year: int) -> int:
    """A four-digit year between 1900 and ``this_year``."""
    value = str(text).strip().removesuffix("年")
    if not (value.isascii() and value.isdigit() and len(value) == 4):
        raise ValueError("出生年份应为 4 位数字，例如 1942")
    year = int(value)
    if year < 1900 or year > this_year:
        raise ValueError(f"出生年份应在 1900 到 {this_year} 之间")
    return year


def check_address(text: str) -> str:
    """楼号-单元-室 as ``3-2-501``; "3号楼2单元501室" and "3栋2单元501" are read too."""
    value = str(text).strip().replace("－", "-").replace("—", "-")
    if not value:
        raise ValueError("请填写住址（楼号-单元-室，例如 3-2-501）")
    found = _ADDRESS.match(value)
    if found is None:
        raise ValueError("住址应为 楼号-单元-室，例如 3-2-501 或 3号楼2单元501室")
    return f"{found['b'].upper()}-{int(found['u'])}-{found['r'].upper()}"


def check_name(text: str) -> str:
    """A person's name: 1–40 characters, no control characters."""
    value = " ".join(str(text).split())
    if not value:
        raise ValueError("请填写姓名")
    if len(value) > 40:
        raise ValueError("姓名最多 40 个字")
    if any(not ch.isprintable() for ch in value) or any(ch in "<>" for ch in value):
        raise ValueError("姓名含有不能使用的字符")
    return value


def check_tags(tags: Iterable[str] | str) -> list[str]:
    """Tags from a list or from text separated by 、，, ; or spaces; each 1–10 characters."""
    items = [tags] if isinstance(tags, str) else list(tags)
    found: list[str] = []
    for item in items:
        for part in re.split(r"[、，,;；\s]+", str(item)):
            tag = part.strip()
            if not tag:
                continue
            if len(tag) > 10 or any(not ch.isprintable() or ch in "<>" for ch in tag):
                raise ValueError(f"标签“{tag[:10]}”不对：每个标签 1–10 个字")
            if tag not in found:
                found.append(tag)
    if len(found) > 12:
        raise ValueError("标签最多 12 个")
    return found
