"""五必访 households in the admin web: the hall's list (masked), a household's own page
(in full, audited), the district's counts, the hall's choice to open its register to the
district, and the CSV export (district admins of an opened hall, with a logged reason).

Forms (new / edit / moved away) are in :mod:`households_forms`, the spreadsheet import in
:mod:`households_import`. All reading and writing goes through
:mod:`kiosk.server.households`, which decides who may see what.
"""

from __future__ import annotations

import csv
import io
import urllib.parse
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Connection

from kiosk.core.residents import KNOWN_TAGS
from kiosk.core.visits import Tier
from kiosk.server import households as hh
from kiosk.server import models as m
from kiosk.server.admin.csv_files import csv_download, safe_cell
from kiosk.server.admin.web import (
    AdminPageError,
    CurrentSession,
    HallScope,
    PostedForm,
    Runtime,
    redirect,
    render,
    templates,
)
from kiosk.server.db import utcnow
from kiosk.server.domain_errors import DomainError, Forbidden, Invalid, NotFound
from kiosk.server.runtime import ServerRuntime

__all__ = ["hall_staff_names", "refusal_page", "router", "tier_options"]

router = APIRouter()
PAGE = 50

templates.env.globals["AUDIT_LABELS"] = {
    "view": "查看",
    "export": "导出",
    "edit": "修改",
    "create": "登记",
    "import": "导入",
    "moved_away": "登记迁出",
    "erase": "删除个人信息",
    "access": "街道查看权限",
}


def tier_options() -> list[tuple[str, str]]:
    return [(t.value, t.label) for t in Tier]


async def hall_staff_names(runtime: ServerRuntime, hall_id: str) -> dict[str, str]:
    """The hall's staff (网格员 candidates) from its published content: id → name."""
    entry = await runtime.halls.require(hall_id)
    if entry.content is None:
        return {}
    return {s.id: s.name for s in entry.content.staff}


def refusal_page(exc: DomainError) -> AdminPageError:
    """A refusal of the households store as the admin's error page (404 / 403 / 422)."""
    if isinstance(exc, NotFound):
        return AdminPageError(404, exc.message)
    if isinstance(exc, Forbidden):
        return AdminPageError(403, exc.message)
    return AdminPageError(422, exc.message)


@router.get("/households", response_class=HTMLResponse, name="households_home")
async def households_home(request: Request, runtime: Runtime, session: CurrentSession) -> Response:
    """Hall staff go to their hall's list; district admins see the counts of every hall."""
    if not session.staff.is_admin:
        return redirect(f"/admin/halls/{session.staff.hall_id}/households")

    def read(conn: Connection) -> tuple[list[Any], list[hh.HallCounts], set[str]]:
        halls = list(conn.execute(sa.select(m.halls.c.id, m.halls.c.name).order_by(m.halls.c.id)))
        ids = [h.id for h in halls]
        opened = {h for h in ids if hh.district_may_view(conn, h)}
        return halls, hh.counts(conn, ids), opened

    halls, counts, opened = await runtime.db.read(read)
    names = {h.id: h.name for h in halls}
    return render(
        request,
        "admin/households_counts.html",
        {"counts": counts, "names": names, "opened": opened, "tiers": list(Tier)},
    )


@router.get("/halls/{hall_id}/households", response_class=HTMLResponse, name="households")
async def households_list(request: Request, runtime: Runtime, hall: HallScope) -> Response:
    viewer = hall.session.staff
    query = request.query_params
    filters = {
        k: query.get(k, "").strip()[:40] for k in ("tag", "tier", "staff", "phone", "address")
    }
    archived = query.get("archived") == "1"
    try:
        offset = max(0, int(query.get("offset", "0")))
    except ValueError:
        offset = 0
    tier = Tier(filters["tier"]) if filters["tier"] in {t.value for t in Tier} else None
    settings = runtime.settings
    error = ""

    def read(conn: Connection) -> tuple[hh.HouseholdPage | None, hh.HallCounts, bool]:
        counts = hh.counts(conn, [hall.id])[0]
        opened = hh.district_may_view(conn, hall.id)
        if not hh.may_view(conn, viewer, hall.id):
            return None, counts, opened
        page = hh.list_households(
            conn,
            settings,
            hall.id,
            viewer=viewer,
            tag=filters["tag"],
            tier=tier,
            staff_id=filters["staff"] or None,
            phone=filters["phone"],
            address=filters["address"],
            archived=archived,
            limit=PAGE,
            offset=offset,
        )
        return page, counts, opened

    try:
        page, counts, opened = await runtime.db.read(read)
    except Invalid as exc:  # a search phone that cannot be a phone
        error = exc.message
        filters["phone"] = ""
        page, counts, opened = await runtime.db.read(read)
    staff = await hall_staff_names(runtime, hall.id)
    shown = {k: v for k, v in filters.items() if v and k != "phone"}
    more = urllib.parse.urlencode({**shown, "archived": "1" if archived else ""})
    return render(
        request,
        "admin/households_list.html",
        {
            "hall": hall,
            "page": page,
            "counts": counts,
            "opened": opened,
            "filters": filters,
            "archived": archived,
            "offset": offset,
            "page_size": PAGE,
            "more_query": more,
            "staff": staff,
            "tiers": tier_options(),
            "known_tags": KNOWN_TAGS,
            "error": error,
        },
    )


@router.get(
    "/halls/{hall_id}/households/{household_id}", response_class=HTMLResponse, name="household"
)
async def household_page(
    request: Request, runtime: Runtime, hall: HallScope, household_id: str
) -> Response:
    """The household in full; this view is written to the audit log (who, when)."""
    viewer = hall.session.staff
    settings = runtime.settings

    def read(conn: Connection) -> tuple[hh.HouseholdRecord, list[hh.AuditEntry]]:
        record = hh.get(conn, settings, household_id, viewer=viewer, at=utcnow())
        if record.hall_id != hall.id:
            raise NotFound("no_household", "没有找到这户住户")
        return record, hh.audit_log(conn, hall.id, household_id=household_id, limit=20)

    try:
        record, log = await runtime.db.write(read)
    except DomainError as exc:
        raise refusal_page(exc) from None
    entry = await runtime.halls.require(hall.id)
    return render(
        request,
        "admin/household.html",
        {
            "hall": hall,
            "h": record,
            "log": log,
            "zone": entry.zone,
            "staff": await hall_staff_names(runtime, hall.id),
            "may_edit": record.erased_at is None,
            "retention_days": settings.household_retention_days,
        },
    )


@router.post("/halls/{hall_id}/households-access", name="households_access")
async def households_access(runtime: Runtime, hall: HallScope, post: PostedForm) -> Response:
    allowed = post.text("district_may_view") == "1"
    back = f"/admin/halls/{hall.id}/households"
    try:
        await runtime.db.write(
            lambda c: hh.set_district_access(
                c, hall.id, allowed, viewer=post.session.staff, at=utcnow()
            )
        )
    except DomainError as exc:
        raise refusal_page(exc) from None
    said = "已向街道开放住户明细" if allowed else "已不再向街道开放住户明细，街道只能看到户数"
    return redirect(back, said)


@router.get(
    "/halls/{hall_id}/households-export", response_class=HTMLResponse, name="households_export"
)
async def export_form(request: Request, runtime: Runtime, hall: HallScope) -> Response:
    allowed = await runtime.db.read(lambda c: _may_export(c, hall))
    return render(
        request, "admin/households_export.html", {"hall": hall, "error": "", "allowed": allowed}
    )


EXPORT_RULE = "导出住户名单只限街道管理员，且需本社区已向街道开放住户明细；导出会被记录"


def _may_export(conn: Connection, hall: Any) -> bool:
    return bool(hall.session.staff.is_admin and hh.district_may_view(conn, hall.id))


def _export_allowed(allowed: bool) -> None:
    if not allowed:
        raise AdminPageError(403, EXPORT_RULE)


@router.post("/halls/{hall_id}/households-export", name="households_export_run")
async def export_run(
    request: Request, runtime: Runtime, hall: HallScope, post: PostedForm
) -> Response:
    reason = " ".join(post.text("reason").split())[:200]
    if len(reason) < 4:
        return render(
            request,
            "admin/households_export.html",
            {
                "hall": hall,
                "error": "请写明导出原因（至少 4 个字），导出会被记录",
                "allowed": True,
            },
            status_code=422,
        )
    settings = runtime.settings
    viewer = post.session.staff

    def export(conn: Connection) -> list[list[str]]:
        _export_allowed(_may_export(conn, hall))
        page = hh.list_households(conn, settings, hall.id, viewer=viewer, limit=100_000)
        rows = [["住址", "分级", "标签", "网格员", "姓名", "出生年份", "电话", "关系"]]
        for row in page.rows:
            record = hh.get(conn, settings, row.id, viewer=viewer, at=utcnow(), audited=False)
            for member in record.members or (hh.MemberInput(name=""),):
                rows.append(
                    [
                        record.address,
                        record.tier.label,
                        "、".join(record.tags),
                        record.staff_id,
                        member.name,
                        str(member.birth_year or ""),
                        member.phone or "",
                        member.relation,
                    ]
                )
        hh.audit(
            conn,
            hall_id=hall.id,
            household_id=None,
            actor=viewer.username,
            action="export",
            at=utcnow(),
            reason=f"{reason}（{len(page.rows)} 户）",
        )
        return rows

    rows = await runtime.db.write(export)
    out = io.StringIO()
    writer = csv.writer(out)
    for line in rows:
        writer.writerow([safe_cell(cell) for cell in line])
    return csv_download(out.getvalue(), f"住户名单-{hall.id}-{utcnow():%Y%m%d}.csv")
