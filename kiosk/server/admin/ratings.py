"""好差评 for the hall's leader and the district: every 差评's 整改 (record 回访 → 核实 →
整改答复, overdue in red with a word), appeals (the rated staff member files one, the
district decides), recent ratings, and who sits at each window for its rating device.

The 整改 steps are the hall's leader's (负责人) and the district's to record
(``StaffPrincipal.may_lead``); a plain staff member sees the list read-only and may file
an appeal against their own 差评.

The rules are :mod:`kiosk.core.ratings`, the storing :mod:`kiosk.server.ratings`; every
step and decision is in the audit log (``admin_audit``).
"""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Connection

from kiosk.core.clock import HALL_TZ
from kiosk.core.ratings import Step
from kiosk.server import models as m
from kiosk.server import ratings
from kiosk.server.admin.drafts import audit
from kiosk.server.admin.web import (
    AdminPageError,
    BackWithMessage,
    CurrentSession,
    PostedForm,
    Runtime,
    redirect,
    render,
    write_or_back,
)
from kiosk.server.db import utcnow
from kiosk.server.runtime import Outbox, ServerRuntime

__all__ = ["router"]

router = APIRouter()

BACK = "/admin/ratings"
_Hall = Annotated[str, Query(max_length=80, description="one hall's id; empty: all visible")]


def _visible(conn: Connection, staff: Any, only: str) -> dict[str, str]:
    rows = conn.execute(sa.select(m.halls.c.id, m.halls.c.name).order_by(m.halls.c.id))
    names = {r.id: r.name for r in rows if staff.may_manage(r.id)}
    if only:
        if only not in names:
            raise AdminPageError(404 if staff.is_admin else 403, "没有这个大厅，或您无权查看")
        return {only: names[only]}
    return names


def _id(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 2**62:
        raise BackWithMessage(BACK, "评价编号不对，请从列表重新进入")
    return int(text)


def _page(conn: Connection, runtime: ServerRuntime, staff: Any, hall: str) -> dict[str, Any]:
    names = _visible(conn, staff, hall)
    hall_ids = list(names)
    now = utcnow()
    rows = []
    for row in ratings.followups(conn, hall_ids):
        late = row.overdue(now)
        rows.append({"f": row, "late": late, "next": row.next_step()})
    counters = []
    c = m.counters
    for counter in conn.execute(
        sa.select(c).where(c.c.hall_id.in_(hall_ids)).order_by(c.c.hall_id, c.c.window)
    ):
        if not counter.queues:
            continue
        entry = runtime.halls.get_sync(conn, counter.hall_id)
        people = (
            [(s.id, f"{s.name}（{s.post}）") for s in entry.content.staff]
            if (entry is not None and entry.content is not None)
            else []
        )
        card = ratings.rating_card(conn, counter.hall_id, counter.id)
        counters.append(
            {
                "id": counter.id,
                "hall": names[counter.hall_id],
                "window": counter.window,
                "staff": card.staff_id,
                "people": people,
            }
        )
    return {
        "names": names,
        "hall": hall,
        "followups": rows,
        "appeals": ratings.appeals(conn, hall_ids),
        "recent": ratings.recent(conn, hall_ids, limit=50),
        "counters": counters,
        "steps": list(Step),
        "now": now,
        "zone": HALL_TZ,
    }


@router.get("/ratings", response_class=HTMLResponse, name="ratings")
async def ratings_page(
    request: Request, runtime: Runtime, session: CurrentSession, hall: _Hall = ""
) -> HTMLResponse:
    policy = ratings.policy_of(runtime.settings)
    if await runtime.db.read(ratings.missing_followups):
        await runtime.db.write(lambda c: ratings.open_missing_followups(c, policy))
    data = await runtime.db.read(lambda c: _page(c, runtime, session.staff, hall))
    appealed = {rating.id for rating, _ in data["appeals"]}
    return render(
        request,
        "admin/ratings.html",
        {**data, "appealed": appealed, "account_id": session.staff.account_id},
    )


def _rating_hall(conn: Connection, rating_id: int, staff: Any) -> ratings.RatingRecord:
    rating = ratings.get(conn, rating_id)
    if not staff.may_manage(rating.hall_id):
        raise AdminPageError(403, "您没有管理这个大厅的权限")
    return rating


NOT_LEADER = (
    "整改（回访、核实、整改答复）由本大厅负责人记录；您可以查看，也可以对自己的差评提出申诉"
)


@router.post("/ratings/step", name="ratings_step")
async def record_step(runtime: Runtime, post: PostedForm) -> Response:
    """Record the next 整改 step of a 差评, with what was done."""
    rating_id = _id(post.text("rating_id"))
    step = post.text("step")

    def run(conn: Connection, _outbox: Outbox) -> str:
        rating = _rating_hall(conn, rating_id, post.session.staff)
        if not post.session.staff.may_lead(rating.hall_id):
            raise AdminPageError(403, NOT_LEADER)
        row = ratings.record_step(
            conn, rating_id, step, note=post.text("note"), by=post.session.username, at=utcnow()
        )
        label = Step(step).label
        audit(
            conn,
            post.session,
            "rating_step",
            rating.hall_id,
            f"rating:{rating_id}",
            f"{label}：{post.text('note')}",
        )
        on_time = row.on_time(Step(step))
        return f"已记录{label}" + ("" if on_time else "（已超期）")

    done = await write_or_back(runtime, run, back=BACK, refused="未能记录：")
    return redirect(BACK, done)


@router.post("/ratings/appeal", name="ratings_appeal")
async def file_appeal(runtime: Runtime, post: PostedForm) -> Response:
    """The rated staff member's one 申诉, with a reason."""
    rating_id = _id(post.text("rating_id"))

    def run(conn: Connection, _outbox: Outbox) -> None:
        _rating_hall(conn, rating_id, post.session.staff)
        ratings.file_appeal(
            conn,
            rating_id,
            account_id=post.session.staff.account_id,
            username=post.session.username,
            reason=post.text("reason"),
            at=utcnow(),
        )

    await write_or_back(runtime, run, back=BACK, refused="未能申诉：")
    return redirect(BACK, "申诉已提交，等待街道管理员裁定")


@router.post("/ratings/decide", name="ratings_decide")
async def decide_appeal(runtime: Runtime, post: PostedForm) -> Response:
    """The district admin's decision on an appeal."""
    rating_id = _id(post.text("rating_id"))
    verdict = post.text("upheld")
    if verdict not in ("yes", "no"):
        raise BackWithMessage(BACK, "请选择申诉成立或不成立")

    def run(conn: Connection, _outbox: Outbox) -> None:
        ratings.decide_appeal(
            conn,
            rating_id,
            upheld=verdict == "yes",
            username=post.session.username,
            is_district=post.session.staff.is_admin,
            note=post.text("note"),
            at=utcnow(),
        )

    await write_or_back(runtime, run, back=BACK, refused="未能裁定：")
    return redirect(BACK, "申诉成立，该评价不再计入统计" if verdict == "yes" else "申诉不成立")


@router.post("/ratings/window-staff", name="ratings_window_staff")
async def window_staff(runtime: Runtime, post: PostedForm) -> Response:
    """Who sits at a window: the face its rating device shows."""
    counter_text = post.text("counter_id")
    if not counter_text.isdigit():
        raise BackWithMessage(BACK, "窗口编号不对，请从列表重新进入")
    counter_id = int(counter_text)
    staff_id = post.text("staff_id") or None

    def run(conn: Connection, _outbox: Outbox) -> str:
        row = conn.execute(sa.select(m.counters).where(m.counters.c.id == counter_id)).first()
        if row is None:
            raise AdminPageError(404, "没有这个窗口")
        entry = runtime.halls.get_sync(conn, row.hall_id)
        known = {s.id for s in entry.content.staff} if entry and entry.content else set()
        ratings.assign_window_staff(
            conn,
            counter_id=counter_id,
            staff_id=staff_id,
            known_staff=known,
            by=post.session.username,
            may_manage=post.session.staff.may_manage(row.hall_id),
            at=utcnow(),
        )
        audit(
            conn,
            post.session,
            "rating_window_staff",
            row.hall_id,
            f"counter:{counter_id}",
            staff_id or "（无人）",
        )
        return f"{row.window}号窗口的评价器已更新"

    done = await write_or_back(runtime, run, back=BACK)
    return redirect(BACK, done)
