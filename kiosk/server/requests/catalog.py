"""A hall's request categories: the core defaults with the hall's own changes on top.

The working-day calendar of deadlines is :func:`kiosk.server.workday_calendar.calendar`."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.core.request_deadlines import DEFAULT_CATEGORIES, RequestCategory
from kiosk.core.request_phrases import phrases_for
from kiosk.server import models as m
from kiosk.server.domain_errors import Invalid
from kiosk.server.requests.records import HallRequestCategory

__all__ = ["categories", "category_of", "hall_code"]


def categories(
    conn: Connection, hall_id: str, *, include_disabled: bool = False
) -> list[HallRequestCategory]:
    """The hall's categories in the default order; disabled ones only when asked."""
    rows = {
        r.category: r
        for r in conn.execute(
            sa.select(m.request_categories).where(m.request_categories.c.hall_id == hall_id)
        )
    }
    found: list[HallRequestCategory] = []
    for default in DEFAULT_CATEGORIES:
        row = rows.get(default.id)
        core = default
        phrases = tuple(phrases_for(default.id))
        enabled = True
        if row is not None:
            core = RequestCategory(
                default.id, row.label or default.name, row.limit_workdays or default.limit_workdays
            )
            if row.phrases is not None:
                phrases = tuple(str(p) for p in row.phrases)
            enabled = bool(row.enabled)
        if enabled or include_disabled:
            found.append(HallRequestCategory(core, phrases, enabled))
    return found


def category_of(conn: Connection, hall_id: str, category_id: str) -> HallRequestCategory:
    """The enabled category ``category_id`` of the hall, or :class:`Invalid`."""
    for category in categories(conn, hall_id):
        if category.id == category_id:
            return category
    raise Invalid("unknown_category", f"没有这个诉求类别：{category_id}", field="category")


def category_label(category_id: str) -> str:
    for default in DEFAULT_CATEGORIES:
        if default.id == category_id:
            return default.name
    return category_id


def hall_code(hall_id: str) -> str:
    """The 2–4 capital letters of a hall's request numbers, from its id:
    ``mingshi-haoting`` → ``MH``, ``mingshi-haoting-2`` → ``MHB``, ``huayang`` → ``HU``."""
    letters = ""
    for part in hall_id.split("-"):
        if part.isdigit() and 1 <= int(part) <= 26:
            letters += chr(ord("A") + int(part) - 1)
        elif part[:1].isascii() and part[:1].isalpha():
            letters += part[0].upper()
    if len(letters) < 2:
        alpha = "".join(c for c in hall_id.upper() if "A" <= c <= "Z")
        letters = (alpha + "XX")[:2]
    return letters[:4]
