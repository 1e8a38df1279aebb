"""Residents' requests (诉求, issue 13) on the server: registering, every change by the
core rules (:mod:`kiosk.core.service_requests`), the timeline, the board and figures.

Every function takes a SQLAlchemy ``Connection`` inside the caller's write (or read)
transaction. Routes (``api/routes/requests.py`` …), the admin pages, the jobs and the
home-visit store (``register(..., channel="visit")``) import the names below.
"""

from kiosk.server.requests.board import (
    ESCALATED_FILTERS,
    board,
    escalated_count,
    public_figures,
    stats,
)
from kiosk.server.requests.catalog import categories, category_of, hall_code
from kiosk.server.requests.records import (
    BoardPage,
    BoardRow,
    HallRequestCategory,
    RequestRecord,
    RequestStats,
    TimelineEntry,
)
from kiosk.server.requests.store import (
    LEVEL_SATISFACTION,
    EventSink,
    act,
    add_note,
    by_query_code,
    get,
    register,
    timeline,
)

__all__ = [
    "ESCALATED_FILTERS",
    "LEVEL_SATISFACTION",
    "BoardPage",
    "BoardRow",
    "EventSink",
    "HallRequestCategory",
    "RequestRecord",
    "RequestStats",
    "TimelineEntry",
    "act",
    "add_note",
    "board",
    "by_query_code",
    "categories",
    "category_of",
    "escalated_count",
    "get",
    "hall_code",
    "public_figures",
    "register",
    "stats",
    "timeline",
]
