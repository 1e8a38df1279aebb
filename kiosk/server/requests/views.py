"""A stored request as the wire shows it: the kiosk's receipt and the public view
(the 查询码 look-up, the phone page) — the latter never with a name, phone, location or
internal note."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from kiosk.core.request_deadlines import RequestCategory
from kiosk.core.service_requests import CLOSED_STATES, SET_ASIDE_STATES, State
from kiosk.core.wire import (
    RequestCategoriesPublic,
    RequestCategoryPublic,
    RequestPublicView,
    RequestReceipt,
    RequestTimelineEntry,
)
from kiosk.server.requests.catalog import categories
from kiosk.server.requests.records import RequestRecord
from kiosk.server.requests.store import timeline

__all__ = ["categories_public", "category_for", "phone_path", "public_view", "receipt"]


def phone_path(request_id: str) -> str:
    return f"/r/{request_id}"


def category_for(conn: Connection, record: RequestRecord) -> RequestCategory:
    for c in categories(conn, record.hall_id, include_disabled=True):
        if c.id == record.category:
            return RequestCategory(c.id, c.label, record.core.limit_workdays)
    return RequestCategory(record.category, record.category, record.core.limit_workdays)


def receipt(conn: Connection, record: RequestRecord) -> RequestReceipt:
    category = category_for(conn, record)
    waiting = record.state is State.REGISTERED
    return RequestReceipt(
        id=record.id,
        number=record.number,
        query_code=record.query_code,
        state=record.state.value,
        state_label=record.state.label,
        category_label=category.name,
        deadline_text=category.limit_in_words(),
        accept_by=record.due_at if waiting else None,
        due_at=None if waiting else record.due_at,
        phone_url=phone_path(record.id),
    )


def public_view(conn: Connection, record: RequestRecord) -> RequestPublicView:
    category = category_for(conn, record)
    return RequestPublicView(
        number=record.number,
        state=record.state.value,
        state_label=record.state.label,
        category_label=category.name,
        deadline_text=category.limit_in_words(),
        due_at=record.due_at,
        closed=record.state in CLOSED_STATES | SET_ASIDE_STATES | {State.ARCHIVED},
        timeline=[
            RequestTimelineEntry(at=e.at, label=e.label, note=e.note)
            for e in timeline(conn, record.id, public_only=True)
        ],
    )


def categories_public(conn: Connection, hall_id: str) -> RequestCategoriesPublic:
    return RequestCategoriesPublic(
        categories=[
            RequestCategoryPublic(
                id=c.id,
                label=c.label,
                limit_workdays=c.core.limit_workdays,
                deadline_text=c.core.limit_in_words(),
                phrases=list(c.phrases),
            )
            for c in categories(conn, hall_id)
        ]
    )
