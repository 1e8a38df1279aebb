"""五必访 on the staff member's phone: 今日走访, the visit form, a household's visits and
turning a need into a request (诉求). The leader's and district's pages:
:mod:`kiosk.server.admin.visits_leader`.

Phone-first pages with big tap targets. The form works in a stairwell without signal:
``static/visits.js`` keeps a form sent offline on the phone (已保存，待上传) with the key it
minted, and sends it when the signal is back; ``static/visits-sw.js`` (served as
``/admin/visits/sw.js`` so its scope covers the visit pages) keeps the pages opened last
for reopening offline. The same key twice is one visit (:func:`visits.record_visit`).

Only staff of the household's hall see its visits; a district admin sees them only where
the hall granted it (:func:`kiosk.server.households.access.may_view`), and every view of a
household's visits is in the households' audit log.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from sqlalchemy.engine import Connection

from kiosk.core import clock
from kiosk.core.request_deadlines import DEFAULT_CATEGORIES
from kiosk.core.request_states import Role
from kiosk.core.service_requests import Actor
from kiosk.core.visits import Light, Tier, Way
from kiosk.server import personal, visits
from kiosk.server import requests as service_requests
from kiosk.server.admin.fields import typed_datetime
from kiosk.server.admin.web import (
    AdminPageError,
    BackWithMessage,
    CurrentSession,
    HallScope,
    PostedForm,
    Runtime,
    redirect,
    render,
    write_or_back,
)
from kiosk.server.domain_errors import DomainError, Forbidden
from kiosk.server.households import access as households
from kiosk.server.runtime import Outbox, ServerRuntime
from kiosk.server.visits.records import VisitForm, checklist_of
from kiosk.server.visits.register import plan_household, plan_households

__all__ = ["router"]

router = APIRouter()

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
ME_COOKIE = "kiosk_visits_me"
LIGHTS = {Light.RED: "逾期", Light.AMBER: "今日到期", Light.UPCOMING: "即将到期", Light.HIDDEN: ""}
WAYS = [(w.value, w.label) for w in Way]
TIERS = {t.value: t.label for t in Tier}


def _require_view(conn: Connection, hall: HallScope) -> None:
    households.require_view(conn, hall.session.staff, hall.id)


async def _read(runtime: ServerRuntime, hall: HallScope, fn: Any) -> Any:
    def op(conn: Connection) -> Any:
        _require_view(conn, hall)
        return fn(conn)

    try:
        return await runtime.db.read(op)
    except Forbidden as exc:
        if hall.session.staff.is_admin:
            raise BackWithMessage(f"/admin/visits/halls/{hall.id}/leader", exc.message) from None
        raise AdminPageError(403, exc.message) from None
    except DomainError as exc:
        raise AdminPageError(404, exc.message) from None


def _zone(runtime: ServerRuntime, hall_id: str) -> Any:
    entry = runtime.halls.peek(hall_id)
    return entry.zone if entry is not None else clock.HALL_TZ


async def _staff_names(runtime: ServerRuntime, hall_id: str) -> dict[str, str]:
    entry = await runtime.halls.get(hall_id)
    if entry is None or entry.content is None:
        return {}
    return {s.id: s.name for s in entry.content.staff}


@router.get("/visits/sw.js", include_in_schema=False)
async def service_worker(_session: CurrentSession) -> Response:
    """The visit pages' service worker; its URL gives it the scope ``/admin/visits/``."""
    return FileResponse(
        STATIC_DIR / "visits-sw.js",
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/visits")
async def visits_home(session: CurrentSession) -> Response:
    if session.staff.hall_id:
        return redirect(f"/admin/visits/halls/{session.staff.hall_id}")
    return redirect("/admin/visits/district")


@router.get("/visits/halls/{hall_id}")
async def today(
    request: Request, runtime: Runtime, hall: HallScope, staff: str | None = None
) -> Response:
    """今日走访: today's and overdue visits nearest building first, then the coming ones."""
    names = await _staff_names(runtime, hall.id)
    me = staff if staff is not None else request.cookies.get(ME_COOKIE, "")
    if me and me not in names:
        me = ""
    now = clock.now()

    def load(conn: Connection) -> Any:
        homes = plan_households(conn, hall.id)
        return visits.todays_visits(conn, hall.id, homes, me, now), len(homes)

    (due, upcoming), total = await _read(runtime, hall, load)
    response = render(
        request,
        "admin/visits_today.html",
        {
            "hall": hall,
            "rows": due,
            "upcoming": upcoming,
            "total": total,
            "names": names,
            "me": me,
            "lights": LIGHTS,
            "tiers": TIERS,
            "zone": _zone(runtime, hall.id),
        },
    )
    if staff is not None:
        response.set_cookie(
            ME_COOKIE,
            me,
            max_age=180 * 86400,
            path="/admin/visits",
            samesite="lax",
            httponly=True,
        )
    return response


@router.get("/visits/halls/{hall_id}/households/{household_id}/new")
async def visit_form(
    request: Request, runtime: Runtime, hall: HallScope, household_id: str
) -> Response:
    """The visit form (the key is re-minted on the phone by visits.js at every opening)."""
    household = await _read(runtime, hall, lambda c: plan_household(c, hall.id, household_id))
    zone = _zone(runtime, hall.id)
    return render(
        request,
        "admin/visits_form.html",
        {
            "hall": hall,
            "household": household,
            "tiers": TIERS,
            "ways": WAYS,
            "checklist": visits.CHECKLIST,
            "key": secrets.token_urlsafe(24),
            "at": clock.now().astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            "zone": str(zone),
            "needs_max": visits.records.NEEDS_MAX,
        },
    )


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.post("/visits/halls/{hall_id}/households/{household_id}/visits")
async def record(
    request: Request, runtime: Runtime, hall: HallScope, household_id: str, posted: PostedForm
) -> Response:
    """Store a visit (the phone's key makes a re-sent form the same visit)."""
    back = f"/admin/visits/halls/{hall.id}/households/{household_id}/new"
    zone = _zone(runtime, hall.id)
    settings = runtime.settings
    try:
        at = typed_datetime(posted.text("at"), zone)
    except ValueError as exc:
        return _refused(request, back, f"走访时间：{exc}")
    seen = posted.text("seen")
    if seen not in ("1", "0"):
        return _refused(request, back, "请选择是否见到本人")
    form = VisitForm(
        household_id=household_id,
        at=at,
        way=posted.text("way"),
        seen=seen == "1",
        checklist=checklist_of(posted.values("checklist")),
        needs=posted.text("needs"),
        idempotency_key=posted.text("key"),
    )
    staff_id = posted.session.staff.account_id

    def op(conn: Connection, _outbox: Outbox) -> tuple[visits.VisitEntry, bool, int]:
        _require_view(conn, hall)
        household = plan_household(conn, hall.id, household_id)
        retry = visits.policy_of(conn, hall.id).retry
        return *visits.record_visit(
            conn,
            household=household,
            form=form,
            staff_id=staff_id,
            now=clock.now(),
            seal=lambda text: personal.seal(settings, text),
            open_=lambda blob: personal.open_(settings, blob),
        ), int(retry.total_seconds() // 3600)

    try:
        entry, created, retry_hours = await runtime.write(op)
    except DomainError as exc:
        return _refused(
            request, back, exc.message, status=403 if isinstance(exc, Forbidden) else 422
        )
    said = "走访记录已上传" if created else "这条走访记录已上传过（未重复保存）"
    if not entry.seen:
        said += f"；未见到本人，{retry_hours} 小时内需再访"
    if _wants_json(request):
        return JSONResponse(
            {"ok": True, "created": created, "visit_id": entry.id, "message": said},
            status_code=201 if created else 200,
        )
    return redirect(f"/admin/visits/halls/{hall.id}/households/{household_id}", said)


def _refused(request: Request, back: str, message: str, *, status: int = 422) -> Response:
    if _wants_json(request):
        return JSONResponse({"ok": False, "message": message}, status_code=status)
    return redirect(back, f"未保存：{message}")


@router.get("/visits/halls/{hall_id}/households/{household_id}")
async def household_visits(
    request: Request, runtime: Runtime, hall: HallScope, household_id: str
) -> Response:
    """A household's due state and latest visits, with the needs (audited view)."""
    settings = runtime.settings
    now = clock.now()
    session = hall.session

    def op(conn: Connection, _outbox: Outbox) -> Any:
        _require_view(conn, hall)
        household = plan_household(conn, hall.id, household_id)
        households.audit(
            conn,
            hall_id=hall.id,
            household_id=household.id,
            actor=session.username,
            action="view",
            at=now,
            reason="查看走访记录",
        )
        row = visits.due_rows(conn, hall.id, [household], now)[0]
        entries = visits.visits_of(conn, household.id, lambda b: personal.open_(settings, b))
        return household, row, entries

    try:
        household, row, entries = await runtime.write(op)
    except Forbidden as exc:
        if session.staff.is_admin:
            raise BackWithMessage(f"/admin/visits/halls/{hall.id}/leader", exc.message) from None
        raise AdminPageError(403, exc.message) from None
    except DomainError as exc:
        raise AdminPageError(404, exc.message) from None
    return render(
        request,
        "admin/visits_household.html",
        {
            "hall": hall,
            "household": household,
            "row": row,
            "entries": entries,
            "lights": LIGHTS,
            "tiers": TIERS,
            "zone": _zone(runtime, hall.id),
            "categories": _request_categories(),
        },
    )


def _request_categories() -> list[tuple[str, str]]:
    return [(c.id, c.name) for c in DEFAULT_CATEGORIES]


@router.post("/visits/halls/{hall_id}/visits/{visit_id}/request")
async def need_to_request(
    runtime: Runtime, hall: HallScope, visit_id: int, posted: PostedForm
) -> Response:
    """One tap: the visit's need becomes a request (channel 走访) linked to the household."""
    settings = runtime.settings
    category = posted.text("category") or "other"
    session = posted.session

    def op(conn: Connection, outbox: Outbox) -> tuple[str, str]:
        _require_view(conn, hall)
        entry = visits.records.visit_entry(conn, visit_id, lambda b: personal.open_(settings, b))
        if entry.hall_id != hall.id:
            raise Forbidden("visit_hall", "这条走访记录不属于本大厅")
        if not entry.needs:
            raise Forbidden("visit_no_need", "这条走访没有记录需求，无需转为诉求")
        if entry.request_id:
            raise Forbidden("visit_request", "这条走访的需求已转为诉求")
        household = plan_household(conn, hall.id, entry.household_id)
        # The visit's own key: a second tap (or a re-sent form) finds the same request.
        record = service_requests.register(
            conn,
            hall_id=hall.id,
            category=category,
            description=entry.needs,
            channel="visit",
            actor=Actor(Role.STAFF, str(session.staff.account_id)),
            at=clock.now(),
            location=household.address,
            household_id=entry.household_id,
            idempotency_key=f"visit-{entry.id}",
            device_id="visits",
            staff_id=session.staff.account_id,
            settings=settings,
            outbox=outbox,
        )
        visits.records.link_request(conn, visit_id, record.core.id)
        return record.core.id, record.number

    back = f"/admin/visits/halls/{hall.id}/households/{posted.text('household')[:32]}"
    _id, number = await write_or_back(runtime, op, back=back, refused="未转为诉求：")
    return redirect(back, f"已转为诉求 {number}")
