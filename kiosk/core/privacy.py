"""Showing personal numbers without giving them away (个人信息保护法).

Lists, boards, receipts and logs show a phone masked (``138****1234``); only a household's
or a request's own page, for staff allowed to see it, shows it in full.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable

__all__ = ["PersonalHint", "mask_id_number", "mask_name", "mask_phone", "personal_hints"]


def mask_phone(phone: str) -> str:
    """``13812341234`` → ``138****1234``: the first three and last four digits.

    Spaces, dashes and a leading ``+86`` are dropped first. A number too short to keep
    anything back (fewer than 8 digits) is masked whole, never shown.
    """
    digits = "".join(ch for ch in str(phone) if ch.isascii() and ch.isdigit())
    if str(phone).strip().startswith("+86") and len(digits) > 11:
        digits = digits[2:]
    if len(digits) < 8:
        return "*" * max(len(digits), 4)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_id_number(number: str) -> str:
    """An ID-like number (身份证号, 低保证号) with all but the first and last four hidden."""
    text = "".join(str(number).split())
    if len(text) < 10:
        return "*" * max(len(text), 4)
    return f"{text[:4]}{'*' * (len(text) - 8)}{text[-4:]}"


def mask_name(name: str) -> str:
    """``张秀英`` → ``张**``: the first character (the family name, usually) and a star
    for each of the rest; a one-character name becomes ``*``."""
    text = "".join(str(name).split())
    if len(text) <= 1:
        return "*"
    return text[0] + "*" * (len(text) - 1)


class PersonalHint(enum.Enum):
    """Why a text meant for the public (办理公开's one-line summaries) looks personal."""

    PHONE = "phone"
    ROOM = "room"
    OWN_TEXT = "own_text"

    @property
    def label(self) -> str:
        return _HINT_LABELS[self]


_HINT_LABELS = {
    PersonalHint.PHONE: "像是电话号码（连续 7 位以上的数字）",
    PersonalHint.ROOM: "像是门牌号（楼号-单元-室，如 3-2-501、3号楼2单元501、501室）",
    PersonalHint.OWN_TEXT: "含有这件诉求里居民的姓名或位置",
}

# Digits in any width (NFKC folds ３ to 3); a phone may be typed with spaces or dashes.
_PHONE = re.compile(r"\d(?:[\s\-–—·.]*\d){6,}")
# A date (2026-12-01) is not a phone number: taken out before the phone check.
_DATE = re.compile(
    r"(?<!\d)(?:19|20)\d{2}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])(?!\d)"
)
_ROOM_DASHED = re.compile(r"(?<!\d)\d{1,3}\s*[-–—]\s*\d{1,2}\s*[-–—]\s*\d{2,4}(?!\d)")
_NUMERAL = r"(?:\d+|[一二三四五六七八九十百零〇两]+)"
_ROOM_WORDS = re.compile(rf"{_NUMERAL}\s*(?:号楼|号院|栋|幢|单元|室|号房)")


def personal_hints(text: str, *, own: Iterable[str | None] = ()) -> tuple[PersonalHint, ...]:
    """What in ``text`` looks like personal data, in a fixed order (empty when nothing).

    ``own`` are the request's own personal texts (the resident's name, the location as
    typed): any of them (2+ characters, spaces ignored) inside ``text`` counts. A check,
    not a proof — staff still read what they publish; the check catches the slips.
    """
    folded = unicodedata.normalize("NFKC", str(text))
    found: list[PersonalHint] = []
    if _PHONE.search(_DATE.sub(" ", folded)):
        found.append(PersonalHint.PHONE)
    if _ROOM_DASHED.search(folded) or _ROOM_WORDS.search(folded):
        found.append(PersonalHint.ROOM)
    squeezed = "".join(folded.split())
    for item in own:
        mine = "".join(unicodedata.normalize("NFKC", item or "").split())
        if len(mine) >= 2 and mine in squeezed:
            found.append(PersonalHint.OWN_TEXT)
            break
    return tuple(found)
