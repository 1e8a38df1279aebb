"""Recording a visit: idempotent by the key the phone minted, alerts after misses in a row.

A phone in a stairwell may send the same form twice (the answer lost on the way back, the
page re-sending its queue): the second time the same key finds the stored visit and
nothing is written. What the household needs is personal data: it is stored sealed
(``seal`` / ``open_`` are :mod:`kiosk.server.personal`'s, handed in by the caller).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.core import visits as core
from kiosk.core.values import check_text
from kiosk.server import models as m
from kiosk.server.db import as_utc
from kiosk.server.domain_errors import Conflict, Invalid, NotFound
from kiosk.server.visits.plan import PlanHousehold, household_state, policy_of

__all__ = [
    "CHECKLIST",
    "NEEDS_MAX",
    "VisitAlert",
    "VisitEntry",
    "VisitForm",
    "alerts_of",
    "handle_alert",
    "link_request",
    "record_visit",
    "visit_entry",
    "visits_of",
]

#: The safety checklist of a visit: key → what the staff member looked at.
CHECKLIST = {
    "gas": "燃气安全",
    "power": "用电安全",
    "medicine": "药品充足、按时服药",
    "alone": "独居安全（紧急呼叫、防跌倒）",
    "warmth": "取暖防寒 / 防暑降温",
    "food": "饮食起居正常",
}
NEEDS_MAX = 500
#: How far back a visit may be dated (typed late, uploaded late from a stairwell) and
#: ahead of the server's clock (a phone's clock a few minutes fast).
OLDEST = dt.timedelta(days=7)
AHEAD = dt.timedelta(minutes=10)
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

Seal = Callable[[str], bytes]
Open = Callable[[bytes], str]


@dataclass(frozen=True)
class VisitForm:
    """A visit as typed on the phone."""

    household_id: str
    at: dt.datetime
    way: str
    seen: bool
    checklist: tuple[str, ...]
    needs: str
    idempotency_key: str


@dataclass(frozen=True)
class VisitEntry:
    id: int
    hall_id: str
    household_id: str
    staff_id: int
    staff_name: str
    at: dt.datetime
    way: core.Way
    seen: bool
    checklist: tuple[str, ...]
    needs: str
    request_id: str | None

    @property
    def checklist_labels(self) -> list[str]:
        return [CHECKLIST[c] for c in self.checklist if c in CHECKLIST]


@dataclass(frozen=True)
class VisitAlert:
    id: int
    household_id: str
    misses: int
    message: str
    at: dt.datetime
    handled_at: dt.datetime | None


def _checked(form: VisitForm, now: dt.datetime) -> VisitForm:
    if not _KEY.match(form.idempotency_key):
        raise Invalid("visit_key", "表单编号无效，请刷新页面后重新填写", field="idempotency_key")
    try:
        way = core.Way(form.way).value
    except ValueError:
        raise Invalid("visit_way", "请选择走访方式：入户、电话或视频", field="way") from None
    if form.at.utcoffset() is None:
        raise Invalid("visit_at", "走访时间必须带时区", field="at")
    if form.at > now + AHEAD:
        raise Invalid("visit_at", "走访时间晚于现在，请核对日期和时间（或手机时钟）", field="at")
    if form.at < now - OLDEST:
        raise Invalid(
            "visit_at",
            f"走访时间早于 {OLDEST.days} 天前，不能补录；请核对日期，或交负责人处理",
            field="at",
        )
    unknown = [c for c in form.checklist if c not in CHECKLIST]
    if unknown:
        raise Invalid("visit_checklist", "安全检查项目无法识别，请刷新页面", field="checklist")
    try:
        needs = check_text(form.needs.strip(), multiline=True)
    except ValueError as exc:
        raise Invalid("visit_needs", f"需求说明：{exc}", field="needs") from None
    if len(needs) > NEEDS_MAX:
        raise Invalid(
            "visit_needs", f"需求说明最多 {NEEDS_MAX} 字（现在 {len(needs)} 字）", field="needs"
        )
    checklist = tuple(c for c in CHECKLIST if c in set(form.checklist))
    return VisitForm(
        form.household_id, form.at, way, form.seen, checklist, needs, form.idempotency_key
    )


def _entry(row: Any, name: str, open_: Open) -> VisitEntry:
    at = as_utc(row.at)
    assert at is not None
    blob = row.needs_enc
    return VisitEntry(
        id=int(row.id),
        hall_id=row.hall_id,
        household_id=row.household_id,
        staff_id=int(row.staff_id),
        staff_name=name,
        at=at,
        way=core.Way(row.way),
        seen=bool(row.seen),
        checklist=tuple(row.checklist),
        needs=open_(blob) if blob else "",
        request_id=row.request_id,
    )


def _select() -> sa.Select[Any]:
    return sa.select(
        m.visits,
        sa.func.coalesce(
            sa.func.nullif(m.staff_accounts.c.display_name, ""), m.staff_accounts.c.username
        ).label("staff_name"),
    ).select_from(m.visits.join(m.staff_accounts, m.staff_accounts.c.id == m.visits.c.staff_id))


def visit_entry(conn: Connection, visit_id: int, open_: Open) -> VisitEntry:
    row = conn.execute(_select().where(m.visits.c.id == visit_id)).first()
    if row is None:
        raise NotFound("visit", "没有这条走访记录")
    return _entry(row, row.staff_name, open_)


def visits_of(
    conn: Connection, household_id: str, open_: Open, *, limit: int = 20
) -> list[VisitEntry]:
    """The household's latest visits, newest first."""
    rows = conn.execute(
        _select()
        .where(m.visits.c.household_id == household_id)
        .order_by(m.visits.c.at.desc(), m.visits.c.id.desc())
        .limit(limit)
    ).all()
    return [_entry(row, row.staff_name, open_) for row in rows]


def record_visit(
    conn: Connection,
    *,
    household: PlanHousehold,
    form: VisitForm,
    staff_id: int,
    now: dt.datetime,
    seal: Seal,
    open_: Open,
) -> tuple[VisitEntry, bool]:
    """Store ``form`` for ``household``: (the visit, True) the first time, (the stored visit,
    False) when its key was seen before. A miss that makes too many in a row raises an
    alert for the leader (``visit_alerts``)."""
    found = conn.execute(
        sa.select(m.visits.c.id, m.visits.c.household_id).where(
            m.visits.c.idempotency_key == form.idempotency_key
        )
    ).first()
    if found is not None:
        if found.household_id != household.id:
            raise Conflict("visit_key", "这个表单编号已用于另一户的走访，请刷新页面后重新填写")
        return visit_entry(conn, int(found.id), open_), False
    form = _checked(form, now)
    result = conn.execute(
        sa.insert(m.visits).values(
            hall_id=household.hall_id,
            household_id=household.id,
            staff_id=staff_id,
            at=form.at.astimezone(dt.UTC),
            way=form.way,
            seen=form.seen,
            checklist=list(form.checklist),
            needs_enc=seal(form.needs) if form.needs else None,
            request_id=None,
            idempotency_key=form.idempotency_key,
            created_at=now.astimezone(dt.UTC),
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    visit_id = int(key[0])
    _raise_alert(conn, household, visit_id)
    return visit_entry(conn, visit_id, open_), True


def _raise_alert(conn: Connection, household: PlanHousehold, visit_id: int) -> None:
    rows = conn.execute(
        sa.select(m.visits.c.id, m.visits.c.at, m.visits.c.way, m.visits.c.seen)
        .where(m.visits.c.household_id == household.id)
        .order_by(m.visits.c.at, m.visits.c.id)
    ).all()
    visits = []
    for row in rows:
        at = as_utc(row.at)
        assert at is not None
        visits.append(core.Visit(at=at, way=core.Way(row.way), seen=row.seen))
    policy = policy_of(conn, household.hall_id)
    _state, alerts = household_state(household, visits, policy)
    for row, alert in zip(rows, alerts, strict=True):
        if int(row.id) != visit_id or alert is None:
            continue
        misses = 0
        for earlier in reversed(visits[: rows.index(row) + 1]):
            if earlier.seen:
                break
            misses += 1
        conn.execute(
            sa.insert(m.visit_alerts).values(
                hall_id=household.hall_id,
                household_id=household.id,
                visit_id=visit_id,
                misses=misses,
                message=alert,
                at=as_utc(row.at),
            )
        )


def alerts_of(
    conn: Connection, hall_id: str, *, open_only: bool = True, limit: int = 50
) -> list[VisitAlert]:
    query = sa.select(m.visit_alerts).where(m.visit_alerts.c.hall_id == hall_id)
    if open_only:
        query = query.where(m.visit_alerts.c.handled_at.is_(None))
    rows = conn.execute(query.order_by(m.visit_alerts.c.at.desc()).limit(limit)).all()
    out = []
    for row in rows:
        at = as_utc(row.at)
        assert at is not None
        out.append(
            VisitAlert(
                int(row.id), row.household_id, row.misses, row.message, at, as_utc(row.handled_at)
            )
        )
    return out


def handle_alert(
    conn: Connection, hall_id: str, alert_id: int, *, by: int, at: dt.datetime
) -> None:
    """The leader has followed an alert up: it leaves the open list."""
    done = conn.execute(
        sa.update(m.visit_alerts)
        .where(
            m.visit_alerts.c.id == alert_id,
            m.visit_alerts.c.hall_id == hall_id,
            m.visit_alerts.c.handled_at.is_(None),
        )
        .values(handled_at=at.astimezone(dt.UTC), handled_by=by)
    ).rowcount
    if not done:
        raise NotFound("visit_alert", "这条提醒不存在或已处理")


def link_request(conn: Connection, visit_id: int, request_id: str) -> None:
    """Remember the request a visit's need became (once: a second tap is refused)."""
    done = conn.execute(
        sa.update(m.visits)
        .where(m.visits.c.id == visit_id, m.visits.c.request_id.is_(None))
        .values(request_id=request_id)
    ).rowcount
    if not done:
        raise Conflict("visit_request", "这条走访的需求已转为诉求")


def checklist_of(values: Iterable[str]) -> tuple[str, ...]:
    """The form's checked boxes, in the checklist's order."""
    chosen = set(values)
    return tuple(c for c in CHECKLIST if c in chosen)
