"""The visit plan: a hall's rules, the district's events and every household's due state.

A household's state (last seen, misses in a row) is never stored: it is the fold of its
visits through :func:`kiosk.core.visits.record_visit`, in the order they happened (a
visit typed offline and uploaded late still lands in its place).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.core import visits as core
from kiosk.core.values import check_text
from kiosk.server import models as m
from kiosk.server.db import as_utc
from kiosk.server.domain_errors import Invalid

__all__ = [
    "EVENT_NAMES",
    "DueRow",
    "LeaderView",
    "PlanHousehold",
    "StaffCompletion",
    "address_order",
    "declare_event",
    "due_rows",
    "events_for",
    "household_state",
    "leader_view",
    "policy_of",
    "set_policy",
    "todays_visits",
]

#: The events a district admin usually declares (the form offers them; others may be typed).
EVENT_NAMES = ("寒潮预警", "高温预警", "暴雨预警", "台风预警", "流感高发")

#: District events older than this no longer change anyone's due date on the lists.
EVENT_HORIZON = dt.timedelta(days=30)


@dataclass(frozen=True)
class PlanHousehold:
    """What the plan needs of a household of the register (no names, no phones)."""

    id: str
    hall_id: str
    address: str
    tier: core.Tier
    registered_at: dt.datetime
    tags: frozenset[str] = frozenset()
    staff_id: str = ""
    """The responsible staff member (网格员: a staff id of the hall's content); "": none."""


@dataclass(frozen=True)
class DueRow:
    household: PlanHousehold
    due: dt.datetime
    light: core.Light
    misses_in_row: int
    last_seen_at: dt.datetime | None


@dataclass(frozen=True)
class StaffCompletion:
    staff_id: str
    name: str
    households: int
    overdue: int
    due_today: int
    visits_7d: int

    @property
    def percent(self) -> int:
        """Share of the staff member's households that are not overdue."""
        if not self.households:
            return 100
        return round(100 * (self.households - self.overdue) / self.households)


@dataclass(frozen=True)
class LeaderView:
    staff: list[StaffCompletion]
    overdue: list[DueRow]


_NUMBER = re.compile(r"(\d+)")


def address_order(address: str) -> tuple[tuple[int, int | str], ...]:
    """楼号-单元-室 in walking order: 2-1-301 before 10-1-101 (numbers compared as numbers)."""
    parts = _NUMBER.split(address.strip())
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts if p)


def policy_of(conn: Connection, hall_id: str) -> core.VisitPolicy:
    row = conn.execute(
        sa.select(m.visit_policies).where(m.visit_policies.c.hall_id == hall_id)
    ).first()
    if row is None:
        return core.VisitPolicy()
    return core.VisitPolicy(
        high_risk=dt.timedelta(days=row.high_risk_days),
        key=dt.timedelta(days=row.key_days),
        general=dt.timedelta(days=row.general_days),
        new_resident=dt.timedelta(days=row.new_resident_days),
        retry=dt.timedelta(hours=row.retry_hours),
        shown_before=row.shown_before,
        misses_alert=row.misses_alert,
    )


def set_policy(
    conn: Connection,
    hall_id: str,
    *,
    high_risk_days: int,
    key_days: int,
    general_days: int,
    new_resident_days: int,
    retry_hours: int,
    shown_before: int,
    misses_alert: int,
    by: int,
    at: dt.datetime,
) -> core.VisitPolicy:
    """Store a hall's rules; :class:`VisitPolicy` checks them (its refusal → Invalid)."""
    values = {
        "high_risk_days": high_risk_days,
        "key_days": key_days,
        "general_days": general_days,
        "new_resident_days": new_resident_days,
        "retry_hours": retry_hours,
        "shown_before": shown_before,
        "misses_alert": misses_alert,
    }
    try:
        core.VisitPolicy(
            high_risk=dt.timedelta(days=high_risk_days),
            key=dt.timedelta(days=key_days),
            general=dt.timedelta(days=general_days),
            new_resident=dt.timedelta(days=new_resident_days),
            retry=dt.timedelta(hours=retry_hours),
            shown_before=shown_before,
            misses_alert=misses_alert,
        )
    except ValueError as exc:
        raise Invalid("visit_policy", str(exc)) from None
    exists = conn.execute(
        sa.select(m.visit_policies.c.hall_id).where(m.visit_policies.c.hall_id == hall_id)
    ).first()
    if exists:
        conn.execute(
            sa.update(m.visit_policies)
            .where(m.visit_policies.c.hall_id == hall_id)
            .values(**values, updated_at=at.astimezone(dt.UTC), updated_by=by)
        )
    else:
        conn.execute(
            sa.insert(m.visit_policies).values(
                hall_id=hall_id, **values, updated_at=at.astimezone(dt.UTC), updated_by=by
            )
        )
    return policy_of(conn, hall_id)


def declare_event(
    conn: Connection,
    *,
    name: str,
    declared_by: int,
    at: dt.datetime,
    hall_ids: Sequence[str] | None = None,
    within_hours: int = 24,
    tiers: Iterable[core.Tier] = (core.Tier.HIGH_RISK,),
) -> int:
    """A district event (寒潮预警): the households of ``tiers`` in ``hall_ids`` (None: all
    halls) are due within ``within_hours`` unless seen since. Returns its id."""
    try:
        name = check_text(name.strip())
    except ValueError as exc:
        raise Invalid("event_name", f"事件名称：{exc}", field="name") from None
    if not 2 <= len(name) <= 30:
        raise Invalid("event_name", "事件名称应为 2–30 个字，例如：寒潮预警", field="name")
    if not 1 <= within_hours <= 72:
        raise Invalid("event_within", "走访时限应在 1–72 小时之间", field="within_hours")
    chosen = sorted({core.Tier(t) for t in tiers})
    if not chosen:
        raise Invalid("event_tiers", "请至少选择一类户", field="tiers")
    if hall_ids is not None:
        hall_ids = sorted(set(hall_ids))
        known = set(
            conn.execute(sa.select(m.halls.c.id).where(m.halls.c.id.in_(hall_ids))).scalars()
        )
        if not hall_ids or known != set(hall_ids):
            raise Invalid("event_halls", "请选择要通知的大厅（或选择全部大厅）", field="halls")
    result = conn.execute(
        sa.insert(m.district_events).values(
            name=name,
            declared_by=declared_by,
            at=at.astimezone(dt.UTC),
            within_hours=within_hours,
            tiers=[t.value for t in chosen],
            hall_ids=hall_ids,
            created_at=at.astimezone(dt.UTC),
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def events_for(conn: Connection, hall_id: str, now: dt.datetime) -> list[core.DistrictEvent]:
    """The district events of the last 30 days that concern ``hall_id``."""
    now = now.astimezone(dt.UTC)  # stored in UTC; SQLite compares them as text
    rows = conn.execute(
        sa.select(m.district_events)
        .where(m.district_events.c.at >= now - EVENT_HORIZON, m.district_events.c.at <= now)
        .order_by(m.district_events.c.at)
    ).all()
    events = []
    for row in rows:
        if row.hall_ids is not None and hall_id not in row.hall_ids:
            continue
        declared = as_utc(row.at)
        assert declared is not None
        events.append(
            core.DistrictEvent(
                name=row.name,
                declared_at=declared,
                within=dt.timedelta(hours=row.within_hours),
                tiers=frozenset(core.Tier(t) for t in row.tiers),
            )
        )
    return events


def _history(conn: Connection, household_ids: Sequence[str]) -> dict[str, list[core.Visit]]:
    found: dict[str, list[core.Visit]] = {hid: [] for hid in household_ids}
    if not household_ids:
        return found
    rows = conn.execute(
        sa.select(m.visits.c.household_id, m.visits.c.at, m.visits.c.way, m.visits.c.seen)
        .where(m.visits.c.household_id.in_(list(household_ids)))
        .order_by(m.visits.c.at, m.visits.c.id)
    ).all()
    for row in rows:
        at = as_utc(row.at)
        assert at is not None
        found[row.household_id].append(core.Visit(at=at, way=core.Way(row.way), seen=row.seen))
    return found


def household_state(
    household: PlanHousehold, visits: Iterable[core.Visit], policy: core.VisitPolicy
) -> tuple[core.Household, list[str | None]]:
    """The core household after its visits (in time order), and each visit's alert."""
    state = core.Household(
        id=household.id,
        tier=household.tier,
        registered_at=household.registered_at,
        address=household.address,
        tags=household.tags,
    )
    alerts: list[str | None] = []
    for visit in visits:
        outcome = core.record_visit(state, visit, policy)
        state = outcome.household
        alerts.append(outcome.alert)
    return state, alerts


def due_rows(
    conn: Connection, hall_id: str, households: Sequence[PlanHousehold], now: dt.datetime
) -> list[DueRow]:
    """Every household's due state (hidden ones too), in the core's ``todays_list`` order:
    red first, then by due time, then by address."""
    policy = policy_of(conn, hall_id)
    events = events_for(conn, hall_id, now)
    history = _history(conn, [h.id for h in households])
    by_id = {h.id: h for h in households}
    rows = []
    for household in households:
        state = household_state(household, history[household.id], policy)[0]
        due = core.due_at(state, policy, events)
        light = core.visit_light(due, now, policy)
        rows.append(DueRow(by_id[state.id], due, light, state.misses_in_row, state.last_seen_at))
    rows.sort(key=lambda r: (-r.light, r.due, address_order(r.household.address)))
    return rows


def todays_visits(
    conn: Connection,
    hall_id: str,
    households: Sequence[PlanHousehold],
    staff_id: str,
    now: dt.datetime,
) -> tuple[list[DueRow], list[DueRow]]:
    """A staff member's morning list: (today's and overdue visits, nearest building first;
    the ones coming up in the next days, soonest first). ``staff_id`` (a 网格员): their
    households and the hall's unassigned ones; "": the whole hall."""
    mine = [h for h in households if not staff_id or h.staff_id in ("", staff_id)]
    rows = due_rows(conn, hall_id, mine, now)
    today = [r for r in rows if r.light >= core.Light.AMBER]
    today.sort(key=lambda r: address_order(r.household.address))
    upcoming = [r for r in rows if r.light is core.Light.UPCOMING]
    return today, upcoming


def leader_view(
    conn: Connection,
    hall_id: str,
    households: Sequence[PlanHousehold],
    now: dt.datetime,
    staff_names: Mapping[str, str],
) -> LeaderView:
    """Per 网格员: their households, how many are overdue or due today, and the visits
    their households had in the last 7 days; the overdue households, most overdue first."""
    rows = due_rows(conn, hall_id, households, now)
    since = now.astimezone(dt.UTC) - dt.timedelta(days=7)
    counted = conn.execute(
        sa.select(m.visits.c.household_id, sa.func.count())
        .where(m.visits.c.hall_id == hall_id, m.visits.c.at > since)
        .group_by(m.visits.c.household_id)
    ).all()
    recent = {str(hid): int(n) for hid, n in counted}
    owners = sorted({r.household.staff_id for r in rows}, key=lambda s: (not s, s))
    staff = []
    for owner in owners:
        own = [r for r in rows if r.household.staff_id == owner]
        staff.append(
            StaffCompletion(
                staff_id=owner,
                name=staff_names.get(owner, owner) if owner else "未分配",
                households=len(own),
                overdue=sum(r.light is core.Light.RED for r in own),
                due_today=sum(r.light is core.Light.AMBER for r in own),
                visits_7d=sum(recent.get(r.household.id, 0) for r in own),
            )
        )
    overdue = [r for r in rows if r.light is core.Light.RED]
    return LeaderView(staff, overdue)
