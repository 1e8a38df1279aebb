"""The one number validator and the one text validator of the project.

Every number and every piece of text that comes in — on the wire (:mod:`kiosk.core.wire`),
in a hall's content (:mod:`kiosk.core.content`), in the admin forms and in the path or
query of a URL — is checked by the types here, so one rule holds everywhere:

- **Numbers** are numbers: ``"20"``, ``true`` and ``20.5`` are not whole numbers, ``"yes"``
  is not a yes/no, ``Infinity`` and ``NaN`` are not measurements, and nothing lies outside
  what a 64-bit database column holds (``10**400`` is refused, not stored).
- **Text** holds no control characters (NUL, ESC, …) and no lone surrogates (which cannot
  even be written as UTF-8). Multi-line text may hold newlines and tabs; a browser's
  ``\\r\\n`` becomes ``\\n``.

A refusal names the problem in Chinese; pydantic reports it against the field, so an API
answer is a 422 naming the field and the admin form shows it beside the input.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from annotated_types import Ge, Le
from pydantic import AfterValidator, AllowInfNan, Field, Strict, StringConstraints

__all__ = [
    "INT64_MAX",
    "INT64_MIN",
    "SLUG_PATTERN",
    "Count",
    "Flag",
    "Line",
    "Lines",
    "Measure",
    "MultiLine",
    "OneLine",
    "Position",
    "RowId",
    "Slug",
    "WholeNumber",
    "check_text",
    "is_slug",
    "printable",
]

#: What a 64-bit integer column (SQLite INTEGER, PostgreSQL BIGINT) holds.
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
#: Far beyond anything measured here (seconds, bytes, counts), and exact in a double.
_MEASURE_LIMIT = 1e15

WholeNumber = Annotated[int, Strict(), Ge(INT64_MIN), Le(INT64_MAX)]
"""A whole number in a JSON body: a JSON integer (not text, not true/false, not 20.0)
that fits a 64-bit column. Narrow it at the use: ``Annotated[WholeNumber, Ge(1), Le(99)]``."""

Count = Annotated[WholeNumber, Ge(0)]
"""How many of something: a whole number from 0."""

Measure = Annotated[float, Strict(), AllowInfNan(False), Ge(-_MEASURE_LIMIT), Le(_MEASURE_LIMIT)]
"""A measured quantity (seconds, …): a JSON number, finite (no ``Infinity``/``NaN``)."""

Flag = Annotated[bool, Strict()]
"""Yes or no: JSON ``true``/``false`` only (not ``"yes"``, ``1`` or ``"true"``)."""

RowId = Annotated[int, Field(ge=1, le=INT64_MAX)]
"""A database id in a URL's path or query (``/admin/counters/{counter_id}``): the text of
a whole number from 1 to the largest 64-bit integer. Path and query values are always text,
so this one reads them; bodies use :data:`WholeNumber`."""

Position = Annotated[int, Field(ge=0, le=INT64_MAX)]
"""A position or cursor in a URL's path or query (a list index, 0 first; an event seq):
like :data:`RowId`, from 0."""

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
"""The one id pattern of halls, services, staff, rooms, … (``mingshi-haoting``): lower-case
letters, digits and hyphens, not starting with a hyphen, at most 63 characters — usable in
URLs and file names."""

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
"""An id matching :data:`SLUG_PATTERN`, in a pydantic model."""

_SLUG = re.compile(SLUG_PATTERN)


def is_slug(value: str) -> bool:
    """True for ids usable in URLs and file names (``mingshi-haoting``)."""
    return bool(_SLUG.match(value))


def _first_bad(value: str, *, multiline: bool) -> tuple[int, str] | None:
    for i, char in enumerate(value):
        kind = unicodedata.category(char)
        if kind == "Cs" or (kind == "Cc" and not (multiline and char in "\n\t")):
            return i, char
    return None


def check_text(value: str, *, multiline: bool = False) -> str:
    """``value`` if it holds no control character (newline and tab allowed when
    ``multiline``; ``\\r\\n`` and a lone ``\\r`` then become ``\\n``); else ValueError
    naming the character and where it is."""
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    found = _first_bad(value, multiline=multiline)
    if found is None:
        return value
    index, char = found
    if char in "\n\r" and not multiline:
        raise ValueError("只能填一行文字，不能换行")
    raise ValueError(
        f"含有不可见的控制字符 U+{ord(char):04X}（第 {index + 1} 个字符），请删除后再试"
    )


def printable(value: str, *, multiline: bool = False) -> str:
    """``value`` with every character :func:`check_text` refuses replaced by U+FFFD: for
    text we write ourselves from what we do not control (an exception's message in a
    heartbeat), so it passes the check rather than being refused."""
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    while (found := _first_bad(value, multiline=multiline)) is not None:
        index = found[0]
        value = value[:index] + "\ufffd" + value[index + 1 :]
    return value


def _one_line(value: str) -> str:
    return check_text(value, multiline=False)


def _many_lines(value: str) -> str:
    return check_text(value, multiline=True)


OneLine = AfterValidator(_one_line)
"""The text check as ``Annotated`` metadata, after the length limits:
``Annotated[str, StringConstraints(max_length=40), OneLine]``."""

MultiLine = AfterValidator(_many_lines)
"""The multi-line text check as ``Annotated`` metadata (see :data:`OneLine`)."""

Line = Annotated[str, OneLine]
"""One line of text (a name, a title): no control characters, no line breaks."""

Lines = Annotated[str, MultiLine]
"""Multi-line text (a notice's body): newlines and tabs allowed, no other control character."""
