"""五必访 for the leader and the district: completion per 网格员, the overdue households,
the alerts after misses in a row, and the district admin's events (寒潮预警 makes every
high-risk household due within 24 h).

The leader's view is for the hall's leader (负责人) and district admins only
(``LeaderScope``); a plain staff member gets a 403 page. A district admin sees counts; the
overdue households' addresses and the alerts only where the hall granted it
(:func:`kiosk.server.households.access.may_view`)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.engine import Connection

from kiosk.core import clock
from kiosk.core.visits import Light, Tier
from kiosk.server import models as m
from kiosk.server import visits
from kiosk.server.admin.visits import LIGHTS, TIERS, _staff_names, _zone
from kiosk.server.admin.web import (
    DistrictAdmin,
    LeaderScope,
    PostedForm,
    Runtime,
    redirect,
    render,
    write_or_back,
)
from kiosk.server.content_store import visible_halls
from kiosk.server.households import access as households
from kiosk.server.runtime import Outbox
from kiosk.server.visits.plan import EVENT_NAMES
from kiosk.server.visits.records import alerts_of, handle_alert
from kiosk.server.visits.register import plan_households

__all__ = ["router"]

router = APIRouter()


@router.get("/visits/halls/{hall_id}/leader")
async def leader(request: Request, runtime: Runtime, hall: LeaderScope) -> Response:
    """Completion per 网格员, overdue households and open alerts."""
    names = await _staff_names(runtime, hall.id)
    now = clock.now()

    def load(conn: Connection) -> Any:
        full = households.may_view(conn, hall.session.staff, hall.id)
        view = visits.leader_view(conn, hall.id, plan_households(conn, hall.id), now, names)
        return full, view, alerts_of(conn, hall.id) if full else []

    full, view, alerts = await runtime.db.read(load)
    return render(
        request,
        "admin/visits_leader.html",
        {
            "hall": hall,
            "full": full,
            "view": view,
            "alerts": alerts,
            "lights": LIGHTS,
            "tiers": TIERS,
            "zone": _zone(runtime, hall.id),
        },
    )


@router.post("/visits/halls/{hall_id}/alerts/{alert_id}/handled")
async def alert_handled(
    runtime: Runtime, hall: LeaderScope, alert_id: int, posted: PostedForm
) -> Response:
    by = posted.session.staff.account_id
    back = f"/admin/visits/halls/{hall.id}/leader"

    def op(conn: Connection, _outbox: Outbox) -> None:
        households.require_view(conn, posted.session.staff, hall.id)
        handle_alert(conn, hall.id, alert_id, by=by, at=clock.now())

    await write_or_back(runtime, op, back=back, refused="未标记：")
    return redirect(back, "已标记为已跟进")


def _hall_counts(conn: Connection, now: Any) -> list[dict[str, Any]]:
    out = []
    for hall in visible_halls(conn):
        rows = visits.due_rows(conn, hall.id, plan_households(conn, hall.id), now)
        out.append(
            {
                "id": hall.id,
                "name": hall.name,
                "households": len(rows),
                "overdue": sum(r.light is Light.RED for r in rows),
                "due_today": sum(r.light is Light.AMBER for r in rows),
                "high_risk": sum(r.household.tier is Tier.HIGH_RISK for r in rows),
            }
        )
    return out


def _recent_events(conn: Connection) -> list[Any]:
    e = m.district_events
    return list(
        conn.execute(
            sa.select(e.c.name, e.c.at, e.c.within_hours, e.c.hall_ids)
            .order_by(e.c.at.desc())
            .limit(10)
        )
    )


@router.get("/visits/district")
async def district(request: Request, runtime: Runtime, session: DistrictAdmin) -> Response:
    """Every hall's counts, the event declaration and the latest events."""
    now = clock.now()

    def load(conn: Connection) -> Any:
        return _hall_counts(conn, now), _recent_events(conn)

    halls, events = await runtime.db.read(load)
    return render(
        request,
        "admin/visits_district.html",
        {"halls": halls, "events": events, "names": EVENT_NAMES, "zone": clock.HALL_TZ},
    )


@router.post("/visits/district/events")
async def declare(runtime: Runtime, session: DistrictAdmin, posted: PostedForm) -> Response:
    """寒潮预警 …: the chosen halls' high-risk households are due within the hours given."""
    back = "/admin/visits/district"
    name = posted.text("name")
    chosen = posted.values("halls")
    hall_ids = None if not chosen or "*" in chosen else chosen
    try:
        within = int(posted.text("within_hours") or "24")
    except ValueError:
        return redirect(back, "未发布：走访时限应为 1–72 之间的整数（小时）")
    by = session.staff.account_id

    def op(conn: Connection, _outbox: Outbox) -> int:
        return visits.declare_event(
            conn,
            name=name,
            declared_by=by,
            at=clock.now(),
            hall_ids=hall_ids,
            within_hours=within,
        )

    await write_or_back(runtime, op, back=back, refused="未发布：")
    return redirect(back, f"已发布“{name.strip()}”：高风险户须在 {within} 小时内走访")
