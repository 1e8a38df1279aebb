"""What staff set about requests besides handling them: a hall's categories (on or off,
label, deadline, phrases — table ``request_categories``) and whether a closed request is
shown on 办理公开 with a one-line summary. Both are recorded in ``admin_audit``.

A category's new deadline counts for NEW requests only: the rules fix
``limit_workdays`` on a request when it is registered.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.core.privacy import personal_hints
from kiosk.core.request_deadlines import DEFAULT_CATEGORIES
from kiosk.core.request_states import CLOSED_STATES, State
from kiosk.server import models as m
from kiosk.server.domain_errors import Invalid, NotFound
from kiosk.server.requests.catalog import categories
from kiosk.server.requests.records import HallRequestCategory, RequestRecord
from kiosk.server.requests.store import get
from kiosk.server.settings import ServerSettings

__all__ = [
    "LABEL_MAX",
    "LIMIT_RANGE",
    "PHRASES_MAX",
    "PHRASE_MAX",
    "SUMMARY_MAX",
    "category_problems",
    "set_category",
    "set_public_summary",
    "summary_problem",
]

LIMIT_RANGE = (1, 60)
"""A category's deadline, in working days."""
LABEL_MAX = 20
PHRASES_MAX = 20
PHRASE_MAX = 20
SUMMARY_MAX = 40


def category_problems(
    *, label: str, limit_workdays: int | None, phrases: Sequence[str]
) -> dict[str, str]:
    """What is wrong with a category as typed, by field (``label``, ``limit_workdays``,
    ``phrases``); empty when it may be saved. The one rule the store and the form share."""
    problems: dict[str, str] = {}
    if not label:
        problems["label"] = "请填写类别名称"
    elif len(label) > LABEL_MAX:
        problems["label"] = f"类别名称最多 {LABEL_MAX} 个字（现在 {len(label)} 个）"
    low, high = LIMIT_RANGE
    if limit_workdays is None:
        problems["limit_workdays"] = f"请填写办结时限（{low}–{high} 个工作日的整数）"
    elif not low <= limit_workdays <= high:
        problems["limit_workdays"] = f"办结时限须在 {low}–{high} 个工作日之间"
    if len(phrases) > PHRASES_MAX:
        problems["phrases"] = f"常见问题最多 {PHRASES_MAX} 条（现在 {len(phrases)} 条）"
    else:
        long = [p for p in phrases if len(p) > PHRASE_MAX]
        seen: set[str] = set()
        twice: list[str] = []
        for phrase in phrases:
            if phrase in seen:
                twice.append(phrase)
            seen.add(phrase)
        if any(not p for p in phrases):
            problems["phrases"] = "常见问题不能有空行"
        elif long:
            problems["phrases"] = f"每条常见问题最多 {PHRASE_MAX} 个字：“{long[0]}”太长"
        elif twice:
            problems["phrases"] = f"常见问题重复了：“{twice[0]}”"
    return problems


def set_category(
    conn: Connection,
    hall_id: str,
    category_id: str,
    *,
    enabled: bool,
    label: str,
    limit_workdays: int,
    phrases: Sequence[str],
    actor: str,
    at: dt.datetime,
) -> HallRequestCategory:
    """Store the hall's version of one of the known categories; :class:`Invalid` names
    the first field that is wrong (see :func:`category_problems`)."""
    if category_id not in {c.id for c in DEFAULT_CATEGORIES}:
        raise Invalid("unknown_category", f"没有这个诉求类别：{category_id}", field="category")
    known = conn.execute(sa.select(m.halls.c.id).where(m.halls.c.id == hall_id)).first()
    if known is None:
        raise NotFound("unknown_hall", "没有这个大厅")
    label = label.strip()
    phrases = [p.strip() for p in phrases]
    problems = category_problems(label=label, limit_workdays=limit_workdays, phrases=phrases)
    if problems:
        field, message = next(iter(problems.items()))
        raise Invalid("invalid_category", message, field=field)
    t = m.request_categories
    values = {
        "label": label,
        "limit_workdays": limit_workdays,
        "enabled": enabled,
        "phrases": list(phrases),
    }
    done = conn.execute(
        sa.update(t).where(t.c.hall_id == hall_id, t.c.category == category_id).values(**values)
    )
    if done.rowcount == 0:
        conn.execute(sa.insert(t).values(hall_id=hall_id, category=category_id, **values))
    detail = {"enabled": enabled, "label": label, "limit_workdays": limit_workdays}
    _audit(conn, actor, at, "request_category", hall_id, category_id, detail)
    return next(c for c in categories(conn, hall_id, include_disabled=True) if c.id == category_id)


def summary_problem(record: RequestRecord, *, publishable: bool, summary: str) -> str | None:
    """Why ``summary`` may not go on 办理公开 for ``record`` (None when it may)."""
    closed = record.core.closed_at is not None and (
        record.state in CLOSED_STATES or record.state is State.ARCHIVED
    )
    if not closed:
        return "只有已办结（或已答复）的诉求才能在办理公开中展示"
    if publishable and not summary:
        return "在办理公开中展示时须写一句话摘要"
    if len(summary) > SUMMARY_MAX:
        return f"摘要最多 {SUMMARY_MAX} 个字（现在 {len(summary)} 个）"
    hints = personal_hints(summary, own=[record.name, record.location])
    if hints:
        why = "；".join(h.label for h in hints)
        return f"摘要会公开展示，不能含个人信息：{why}"
    return None


def set_public_summary(
    conn: Connection,
    request_id: str,
    *,
    publishable: bool,
    summary: str | None,
    actor: str,
    at: dt.datetime,
    settings: ServerSettings,
) -> RequestRecord:
    """Mark a closed request for 办理公开 (or take it off) with its one-line summary.

    ``settings`` open the resident's name, so a summary that names them is refused too.
    """
    record = get(conn, request_id, settings=settings)
    text = (summary or "").strip()
    problem = summary_problem(record, publishable=publishable, summary=text)
    if problem is not None:
        closed = record.core.closed_at is not None
        code = "invalid_summary" if closed else "request_not_closed"
        raise Invalid(code, problem, field="public_summary" if closed else None)
    t = m.service_requests
    conn.execute(
        sa.update(t)
        .where(t.c.id == request_id)
        .values(publishable=publishable, public_summary=text or None)
    )
    detail = {"publishable": publishable, "summary": text}
    _audit(conn, actor, at, "request_publish", record.hall_id, record.number, detail)
    return get(conn, request_id, settings=settings)


def _audit(
    conn: Connection,
    actor: str,
    at: dt.datetime,
    action: str,
    hall_id: str,
    target: str,
    detail: dict[str, object],
) -> None:
    conn.execute(
        sa.insert(m.admin_audit).values(
            at=at,
            username=actor[:64],
            hall_id=hall_id,
            action=action,
            target=target[:200],
            detail=json.dumps(detail, ensure_ascii=False)[:2000],
        )
    )
