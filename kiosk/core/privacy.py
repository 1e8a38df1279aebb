"""Showing personal numbers without giving them away (个人信息保护法).

Lists, boards, receipts and logs show a phone masked (``138****1234``); only a household's
or a request's own page, for staff allowed to see it, shows it in full.
"""

from __future__ import annotations

__all__ = ["mask_id_number", "mask_name", "mask_phone"]


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
