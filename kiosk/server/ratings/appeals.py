"""申诉: the rated staff member appeals a rating once; a district admin decides. An upheld
appeal keeps the rating but takes it out of the figures (``ratings.excluded``)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.core import ratings as core
from kiosk.server import models as m
from kiosk.server.db import as_utc
from kiosk.server.domain_errors import Conflict, Forbidden
from kiosk.server.ratings.store import RatingRecord, _to_utc, get

__all__ = ["Appeal", "appeal_of", "appeals", "decide_appeal", "file_appeal"]

_A = m.rating_appeals
Appeal = core.Appeal


def appeal_of(conn: Connection, rating_id: int) -> core.Appeal | None:
    row = conn.execute(sa.select(_A).where(_A.c.rating_id == rating_id)).first()
    if row is None:
        return None
    return core.Appeal(
        by=f"staff:{row.by_account_id}",
        reason=row.reason,
        at=as_utc(row.at) or row.at,
        upheld=row.upheld,
        decided_by=row.decided_by,
        decided_at=as_utc(row.decided_at),
    )


def _core(conn: Connection, rating: RatingRecord) -> core.Rating:
    return core.Rating(
        rating.prompt(), rating.level, rating.answered_at, appeal=appeal_of(conn, rating.id)
    )


def _audit(
    conn: Connection, at: dt.datetime, who: str, rating: RatingRecord, action: str, detail: str
) -> None:
    conn.execute(
        sa.insert(m.admin_audit).values(
            at=at,
            username=who,
            hall_id=rating.hall_id,
            action=action,
            target=f"rating:{rating.id}",
            detail=detail[:2000],
        )
    )


def file_appeal(
    conn: Connection,
    rating_id: int,
    *,
    account_id: int,
    username: str,
    reason: str,
    at: dt.datetime,
) -> RatingRecord:
    """The rated staff member's one 申诉 with a reason (core.appeal)."""
    at = _to_utc(at)
    rating = get(conn, rating_id)
    try:
        appealed = core.appeal(_core(conn, rating), f"staff:{account_id}", reason, at)
    except core.RatingRefused as exc:
        error = Forbidden if "本人" in str(exc) else Conflict
        raise error("appeal_refused", str(exc), field="reason") from None
    assert appealed.appeal is not None
    conn.execute(
        sa.insert(_A).values(
            rating_id=rating_id, by_account_id=account_id, reason=appealed.appeal.reason, at=at
        )
    )
    _audit(conn, at, username, rating, "rating_appeal", appealed.appeal.reason)
    return rating


def decide_appeal(
    conn: Connection,
    rating_id: int,
    *,
    upheld: bool,
    username: str,
    is_district: bool,
    note: str,
    at: dt.datetime,
) -> RatingRecord:
    """The district admin's decision: upheld → the rating stays, out of every figure."""
    at = _to_utc(at)
    if not is_district:
        raise Forbidden("forbidden", "申诉由街道（区级）管理员裁定")
    rating = get(conn, rating_id)
    try:
        core.decide_appeal(_core(conn, rating), upheld, username, at)
    except core.RatingRefused as exc:
        raise Conflict("appeal_refused", str(exc)) from None
    conn.execute(
        sa.update(_A)
        .where(_A.c.rating_id == rating_id)
        .values(upheld=upheld, decided_by=username, decided_at=at, decision_note=note.strip())
    )
    conn.execute(sa.update(m.ratings).where(m.ratings.c.id == rating_id).values(excluded=upheld))
    verdict = "申诉成立，该评价不计入统计" if upheld else "申诉不成立，评价照常计入"
    _audit(conn, at, username, rating, "rating_appeal_decided", f"{verdict}。{note.strip()}")
    return get(conn, rating_id)


def appeals(
    conn: Connection, hall_ids: list[str] | None, *, pending_only: bool = False
) -> list[tuple[RatingRecord, core.Appeal]]:
    """The appeals of the halls' ratings (None: every hall), oldest first."""
    query = (
        sa.select(_A.c.rating_id)
        .join(m.ratings, m.ratings.c.id == _A.c.rating_id)
        .order_by(_A.c.at, _A.c.rating_id)
    )
    if hall_ids is not None:
        query = query.where(m.ratings.c.hall_id.in_(hall_ids))
    if pending_only:
        query = query.where(_A.c.upheld.is_(None))
    out = []
    for rating_id in conn.execute(query).scalars():
        found = appeal_of(conn, rating_id)
        assert found is not None
        out.append((get(conn, rating_id), found))
    return out
