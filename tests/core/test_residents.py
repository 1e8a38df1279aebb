"""A resident's register entry (kiosk/core/residents.py): one validator per kind, each
normalising what people type and refusing the rest in Chinese; and mask_name."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.privacy import mask_name, mask_phone
from kiosk.core.residents import (
    check_address,
    check_birth_year,
    check_name,
    check_phone,
    check_tags,
)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13812341234", "13812341234"),
        ("138 1234 1234", "13812341234"),
        ("138-1234-1234", "13812341234"),
        ("+86 138 1234 1234", "13812341234"),
        ("8613812341234", "13812341234"),
        ("0571-88001234", "057188001234"),
        ("（010）12345678", "01012345678"),
    ],
)
def test_phones_people_type_are_normalised(typed: str, stored: str) -> None:
    assert check_phone(typed) == stored


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("", "请填写电话号码"),
        ("1381234", "手机号应为 11 位"),
        ("12812341234", "手机号应为 11 位"),
        ("138l2341234", "只能包含数字"),
        ("１３８１２３４１２３４", "只能包含数字"),  # full-width digits are not ASCII
        ("88001234", "座机请带区号"),
    ],
)
def test_bad_phones_are_refused_in_chinese(typed: str, said: str) -> None:
    with pytest.raises(ValueError, match=said):
        check_phone(typed)


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_every_mainland_mobile_is_kept_and_masks_to_its_ends(phone: str) -> None:
    assert check_phone(phone) == phone
    assert mask_phone(phone) == f"{phone[:3]}****{phone[-4:]}"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("3-2-501", "3-2-501"),
        ("3号楼2单元501室", "3-2-501"),
        ("3栋2单元501", "3-2-501"),
        ("12幢 02单元 1102室", "12-2-1102"),
        ("a-1-101", "A-1-101"),
        ("3－2－501", "3-2-501"),
    ],
)
def test_addresses_are_read_in_the_forms_committees_write(typed: str, stored: str) -> None:
    assert check_address(typed) == stored


@pytest.mark.parametrize("typed", ["", "三号楼", "3-501", "3号楼", "3-2-501-1", "<b>3</b>-2-501"])
def test_other_addresses_are_refused(typed: str) -> None:
    with pytest.raises(ValueError, match="住址"):
        check_address(typed)


def test_birth_years() -> None:
    assert check_birth_year("1942", this_year=2026) == 1942
    assert check_birth_year("1942年", this_year=2026) == 1942
    for bad, said in (("42", "4 位数字"), ("1899", "1900 到 2026"), ("2027", "1900 到 2026")):
        with pytest.raises(ValueError, match=said):
            check_birth_year(bad, this_year=2026)


def test_names_and_tags() -> None:
    assert check_name("  欧阳  秀英 ") == "欧阳 秀英"
    for bad in ("", "名" * 41, "<script>", "a\x00b"):
        with pytest.raises(ValueError):
            check_name(bad)
    assert check_tags("高龄独居、低保，残疾 低保") == ["高龄独居", "低保", "残疾"]
    assert check_tags(["空巢", "空巢"]) == ["空巢"]
    with pytest.raises(ValueError, match="1–10 个字"):
        check_tags("这是一个特别特别长的标签名")


@pytest.mark.parametrize(
    ("name", "masked"), [("张秀英", "张**"), ("欧阳秀英", "欧***"), ("王", "*"), ("", "*")]
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked
