"""Reading a snapshot that holds a bad item: leave the item out, keep the rest.

The server refuses bad content, but a kiosk may still hold (in its cache) or be sent (by
an older server) a snapshot written before a rule was added — ``9999-12-31`` as a staff
member's return time once stopped every kiosk of a hall. :func:`salvage_snapshot` parses
it as :func:`kiosk.core.content.parse_snapshot` does; where a problem lies inside one item
of a list (a staff member, a notice, a room, one room's event …) that item is left out
and reported as a :class:`LeftOut`, and the parse is tried again. A problem outside any
item (the hall's name, the envelope) still refuses the whole snapshot.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from kiosk.core.content import ContentError, Snapshot, parse_snapshot

__all__ = ["LeftOut", "salvage_snapshot"]

#: Lists whose items can be left out one by one (indices as ``*``).
_ITEM_LISTS = (
    ("content", "queues"),
    ("content", "services"),
    ("content", "staff"),
    ("content", "rooms"),
    ("content", "notices"),
    ("content", "hall", "contacts"),
    ("content", "rooms", "*", "activities"),
    ("content", "rooms", "*", "events"),
)

#: More rounds than this and the snapshot is refused as a whole.
_MAX_ROUNDS = 200

_PART = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True, slots=True)
class LeftOut:
    """One item not shown: where it was, what it was called, and why."""

    path: str  # content.staff[3]
    label: str  # the item's name / title / id, as the snapshot had it
    reason: str  # status_until：日期超出范围…

    def __str__(self) -> str:
        name = f"（{self.label}）" if self.label else ""
        return f"{self.path}{name}：{self.reason}"


def _parts(path: str) -> list[str | int]:
    out: list[str | int] = []
    for name, index in _PART.findall(path):
        out.append(int(index) if index else name)
    return out


def _item_of(parts: list[str | int]) -> int | None:
    """How many parts of a problem's path lead to the innermost item that can be left out."""
    best = None
    for end in range(1, len(parts)):
        if not isinstance(parts[end], int):
            continue
        container = tuple("*" if isinstance(p, int) else p for p in parts[:end])
        if container in _ITEM_LISTS:
            best = end + 1
    return best


def _label(item: Any) -> str:
    if isinstance(item, dict):
        for key in ("name", "title", "label", "id", "code"):
            value = item.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()[:40]
    return ""


def _text(parts: list[str | int]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _scrub(value: Any) -> tuple[Any, int]:
    """``value`` with the characters the text rule refuses removed; and how many texts."""
    if isinstance(value, str):
        clean = "".join(
            c
            for c in value
            if not (
                unicodedata.category(c) == "Cs"
                or (unicodedata.category(c) == "Cc" and c not in "\n\t")
            )
        )
        return clean, int(clean != value)
    if isinstance(value, list):
        pairs = [_scrub(v) for v in value]
        return [v for v, _n in pairs], sum(n for _v, n in pairs)
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        total = 0
        for key, item in value.items():
            out[key], n = _scrub(item)
            total += n
        return out, total
    return value, 0


def salvage_snapshot(data: bytes | str | dict[str, Any]) -> tuple[Snapshot, list[LeftOut]]:
    """The snapshot with every bad item left out, and what was left out (and why).

    Raises :class:`ContentError` when the snapshot is bad outside any item, or is not JSON.
    """
    try:
        return parse_snapshot(data), []
    except ContentError as first:
        refused = first
    doc: Any = data
    if isinstance(data, bytes | str):
        try:
            doc = json.loads(data)
        except ValueError:
            raise refused from None
    if not isinstance(doc, dict):
        raise refused
    doc = json.loads(json.dumps(doc))  # a private copy to cut items from
    left_out: list[LeftOut] = []
    # Text cached before the text rule (kiosk.core.values) may hold invisible control
    # characters: they are dropped, not the hall's whole content.
    doc, scrubbed = _scrub(doc)
    if scrubbed:
        left_out.append(LeftOut("content", "", f"已删去 {scrubbed} 处不可见的控制字符"))
        try:
            return parse_snapshot(doc), left_out
        except ContentError as again:
            refused = again
    for _round in range(_MAX_ROUNDS):
        drops: dict[tuple[str | int, ...], str] = {}
        for path, message in refused.problems:
            parts = _parts(path)
            end = _item_of(parts)
            if end is None:
                raise refused
            item = tuple(parts[:end])
            rest = _text(parts[end:]) if end < len(parts) else ""
            drops.setdefault(item, f"{rest}：{message}" if rest else message)
        # Deepest and last first, so the indices of the others stay right.
        for item in sorted(drops, key=lambda p: (len(p), p[-1]), reverse=True):
            container: Any = doc
            for part in item[:-1]:
                container = container[part]
            index = item[-1]
            assert isinstance(index, int)
            removed = container.pop(index)
            left_out.append(LeftOut(_text(list(item)), _label(removed), drops[item]))
        try:
            return parse_snapshot(doc), left_out
        except ContentError as again:
            refused = again
    raise refused
