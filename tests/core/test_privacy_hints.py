"""What looks personal in a summary meant for the public board (办理公开)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.privacy import PersonalHint, personal_hints

SEPARATORS = st.sampled_from(["", " ", "-", "  ", " - ", "—"])


@st.composite
def phone_like(draw: st.DrawFn) -> str:
    digits = draw(st.text(alphabet="0123456789", min_size=7, max_size=13))
    parts = [digits[0]]
    for d in digits[1:]:
        parts.append(draw(SEPARATORS) + d)
    return "".join(parts)


# Text that a summary is made of, with no digits and none of the words that mark a room.
PLAIN = st.text(
    alphabet=st.sampled_from(list("楼道灯已修复水管漏电梯噪音物业清理垃圾，。、的了和在小区")),
    max_size=30,
)


@given(PLAIN, phone_like(), PLAIN)
def test_a_phone_among_any_words_is_found(before: str, phone: str, after: str) -> None:
    assert PersonalHint.PHONE in personal_hints(before + phone + after)


@given(
    PLAIN,
    st.integers(1, 99),
    st.integers(1, 9),
    st.integers(101, 3299),
    st.sampled_from(
        ["{b}-{u}-{r}", "{b}号楼{u}单元{r}", "{b}栋{u}单元{r}室", "{r}室", "{b} - {u} - {r}"]
    ),
)
def test_a_room_number_in_any_form_is_found(
    words: str, building: int, unit: int, room: int, form: str
) -> None:
    text = words + form.format(b=building, u=unit, r=room)
    assert PersonalHint.ROOM in personal_hints(text)


@given(PLAIN)
def test_plain_words_have_nothing_personal(text: str) -> None:
    assert personal_hints(text) == ()


@given(PLAIN, st.text(alphabet="张王李秀英国华明", min_size=2, max_size=4), PLAIN)
def test_the_requests_own_name_is_found_even_spaced_out(before: str, name: str, after: str) -> None:
    spaced = " ".join(name)
    assert PersonalHint.OWN_TEXT in personal_hints(before + spaced + after, own=[None, name])


@pytest.mark.parametrize(
    "text",
    [
        "１３８１２３４１２３４",  # full-width digits
        "138 1234 1234",
        "0571-8888-8888",
        "电话1381234",
    ],
)
def test_phone_forms(text: str) -> None:
    assert personal_hints(text) == (PersonalHint.PHONE,)


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-01 已修复楼道灯",
        "12月1日修好3部电梯",
        "办结用时 5 个工作日",
        "会议室空调已修好",
        "共清理垃圾 120 袋",
    ],
)
def test_ordinary_summaries_pass(text: str) -> None:
    assert personal_hints(text, own=["3-2-501", "张"]) == ()


def test_the_own_location_as_typed_is_found() -> None:
    assert personal_hints("东门岗亭旁路灯已修", own=["东门岗亭"]) == (PersonalHint.OWN_TEXT,)


def test_every_hint_says_why_in_chinese() -> None:
    for hint in PersonalHint:
        assert hint.label and not hint.label.isascii()
