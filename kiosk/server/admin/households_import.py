"""Importing households from a spreadsheet: upload → column mapping → dry run → confirm.

The steps carry the upload's id in a hidden field (no id in the address, so no page of
another person's upload can be bookmarked); the rows stay sealed in the database between
steps (kiosk.server.households.importing). Every refusal is a page with a Chinese reason.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Connection
from starlette.datastructures import UploadFile

from kiosk.server import households as hh
from kiosk.server.admin.households import _refusal, hall_staff_names
from kiosk.server.admin.web import Hall, HallScope, Posted, PostedForm, Runtime, redirect, render
from kiosk.server.db import utcnow
from kiosk.server.domain_errors import DomainError, Invalid, NotFound
from kiosk.server.households import importing as imp

__all__ = ["router"]

router = APIRouter()


def _upload_page(request: Request, hall: Hall, error: str = "", status: int = 200) -> Response:
    return render(
        request,
        "admin/households_import.html",
        {"hall": hall, "error": error, "fields": imp.FIELDS, "max_rows": imp.MAX_ROWS},
        status_code=status,
    )


@router.get(
    "/halls/{hall_id}/households-import",
    response_class=HTMLResponse,
    name="households_import",
)
async def upload_form(request: Request, runtime: Runtime, hall: HallScope) -> Response:
    viewer = hall.session.staff
    try:
        await runtime.db.read(lambda c: hh.require_view(c, viewer, hall.id))
    except DomainError as exc:
        raise _refusal(exc) from None
    return _upload_page(request, hall)


def _mapping_from(post: Posted, width: int) -> dict[str, int]:
    mapping: dict[str, int] = {}
    for key in imp.FIELD_KEYS:
        text = post.text(f"map_{key}")
        if text.isdigit() and int(text) < width:
            mapping[key] = int(text)
    return mapping


def _mapping_page(
    request: Request,
    hall: Hall,
    *,
    import_id: str,
    table: imp.Table,
    filename: str,
    mapping: dict[str, int],
    error: str = "",
    status: int = 200,
) -> Response:
    columns = [
        {"index": i, "header": h, "sample": imp.sample_of(table, i)}
        for i, h in enumerate(table.headers)
    ]
    return render(
        request,
        "admin/households_mapping.html",
        {
            "hall": hall,
            "import_id": import_id,
            "filename": filename,
            "rows": len(table.rows),
            "columns": columns,
            "fields": imp.FIELDS,
            "mapping": mapping,
            "error": error,
        },
        status_code=status,
    )


@router.post(
    "/halls/{hall_id}/households-import",
    response_class=HTMLResponse,
    name="households_import_upload",
)
async def upload(request: Request, runtime: Runtime, hall: HallScope, post: PostedForm) -> Response:
    sent = post.form.get("file")
    if not isinstance(sent, UploadFile):
        return _upload_page(request, hall, "请选择要导入的 CSV 或 XLSX 文件", 422)
    data = await sent.read(imp.MAX_BYTES + 1)
    filename = sent.filename or ""
    try:
        table = imp.read_table(filename, data)
    except Invalid as exc:
        return _upload_page(request, hall, exc.message, 422)
    settings = runtime.settings
    viewer = post.session.staff

    def keep(conn: Connection) -> str:
        return imp.store_upload(
            conn, settings, table, hall_id=hall.id, filename=filename, viewer=viewer, at=utcnow()
        )

    try:
        import_id = await runtime.db.write(keep)
    except DomainError as exc:
        raise _refusal(exc) from None
    return _mapping_page(
        request,
        hall,
        import_id=import_id,
        table=table,
        filename=filename,
        mapping=imp.guess_mapping(table.headers),
    )


async def _load(runtime: Any, hall: Hall, post: Posted) -> tuple[str, imp.Table, str]:
    import_id = post.text("import_id")[:32]
    settings = runtime.settings
    viewer = post.session.staff

    def load(conn: Connection) -> tuple[imp.Table, str]:
        return imp.load_upload(
            conn, settings, import_id, hall_id=hall.id, viewer=viewer, at=utcnow()
        )

    table, filename = await runtime.db.read(load)
    return import_id, table, filename


@router.post(
    "/halls/{hall_id}/households-import/dry-run",
    response_class=HTMLResponse,
    name="households_import_dry_run",
)
async def dry_run(
    request: Request, runtime: Runtime, hall: HallScope, post: PostedForm
) -> Response:
    try:
        import_id, table, filename = await _load(runtime, hall, post)
    except NotFound as exc:
        return _upload_page(request, hall, exc.message, 404)
    mapping = _mapping_from(post, len(table.headers))
    staff = await hall_staff_names(runtime, hall.id)

    def run(conn: Connection) -> imp.DryRun:
        return imp.dry_run(
            conn,
            runtime.settings,
            table,
            mapping,
            hall_id=hall.id,
            staff=staff,
            this_year=utcnow().year,
        )

    try:
        result = await runtime.db.read(run)
    except Invalid as exc:
        return _mapping_page(
            request,
            hall,
            import_id=import_id,
            table=table,
            filename=filename,
            mapping=mapping,
            error=exc.message,
            status=422,
        )
    return render(
        request,
        "admin/households_dry_run.html",
        {
            "hall": hall,
            "import_id": import_id,
            "filename": filename,
            "mapping": mapping,
            "result": result,
            "rows": len(table.rows),
            "staff": staff,
        },
    )


@router.post("/halls/{hall_id}/households-import/confirm", name="households_import_confirm")
async def confirm(
    request: Request, runtime: Runtime, hall: HallScope, post: PostedForm
) -> Response:
    import_id = post.text("import_id")[:32]
    settings = runtime.settings
    viewer = post.session.staff
    staff = await hall_staff_names(runtime, hall.id)
    width = imp.MAX_COLUMNS

    def run(conn: Connection) -> imp.DryRun:
        return imp.confirm(
            conn,
            settings,
            import_id,
            _mapping_from(post, width),
            hall_id=hall.id,
            staff=staff,
            viewer=viewer,
            at=utcnow(),
        )

    try:
        result = await runtime.db.write(run)
    except NotFound as exc:
        return _upload_page(request, hall, exc.message, 404)
    except Invalid as exc:
        return _upload_page(request, hall, exc.message, 422)
    except DomainError as exc:
        raise _refusal(exc) from None
    said = f"已导入 {len(result.households)} 户、{result.people} 人"
    if result.refused:
        said += f"；{len(result.refused)} 行未导入（原因见预检）"
    return redirect(f"/admin/halls/{hall.id}/households", said)
