"""好差评 on the server: storing ratings, the 整改 of every 差评, appeals and the figures.

The rules are :mod:`kiosk.core.ratings` (levels, reasons, time limits, step order, figures,
bursts); these modules only load rows into its values, ask it, and store what it says.
Functions take a SQLAlchemy ``Connection`` (inside ``runtime.write`` / ``db.read``) and
raise :mod:`kiosk.server.domain_errors`. Imported by the API routes (``api/routes/
ratings.py``, the phone page), the admin (``admin/ratings.py``, ``admin/stats.py``) and
:mod:`kiosk.server.jobs`.
"""

from __future__ import annotations

from kiosk.server.ratings.appeals import appeal_of, appeals, decide_appeal, file_appeal
from kiosk.server.ratings.figures import (
    DIMENSIONS,
    Dimension,
    FigureRow,
    figures_by,
    public_summary,
)
from kiosk.server.ratings.followups import (
    FollowupRow,
    escalate_overdue,
    followups,
    missing_followups,
    open_missing_followups,
    record_second_rating,
    record_step,
)
from kiosk.server.ratings.store import (
    PHONE_DEVICE,
    RatingCard,
    RatingRecord,
    Recorded,
    assign_window_staff,
    get,
    policy_of,
    rating_card,
    rating_for_request,
    rating_for_ticket,
    recent,
    record,
    record_from_device,
)

__all__ = [
    "DIMENSIONS",
    "PHONE_DEVICE",
    "Dimension",
    "FigureRow",
    "FollowupRow",
    "RatingCard",
    "RatingRecord",
    "Recorded",
    "appeal_of",
    "appeals",
    "assign_window_staff",
    "decide_appeal",
    "escalate_overdue",
    "figures_by",
    "file_appeal",
    "followups",
    "get",
    "missing_followups",
    "open_missing_followups",
    "policy_of",
    "public_summary",
    "rating_card",
    "rating_for_request",
    "rating_for_ticket",
    "recent",
    "record",
    "record_from_device",
    "record_second_rating",
    "record_step",
]
