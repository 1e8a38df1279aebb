"""The staff admin web (``/admin``): server-rendered pages for hall staff and district
administrators — login, content editing with drafts, publishing and versions, the
counter console, kiosk fleet, statistics, accounts and kiosks.

Only :mod:`kiosk.server.app` imports this package (:func:`mount_admin`); it builds on the
server's own modules (content publishing, counter desk, auth, events) and never
duplicates them.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from kiosk.server.admin import (
    accounts,
    calendar,
    console,
    diary,
    fleet,
    halls,
    households,
    households_forms,
    households_import,
    login,
    notices,
    publishing,
    ratings,
    request_categories,
    request_detail,
    request_photos,
    requests_board,
    requests_new,
    rooms,
    services,
    staff,
    stats,
    visits,
    visits_leader,
    visits_policy,
)
from kiosk.server.admin.web import (
    AdminPageError,
    BackWithMessage,
    LoginRequired,
    redirect,
    render,
)

__all__ = ["admin_router", "mount_admin"]

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

admin_router = APIRouter(prefix="/admin", include_in_schema=False)
admin_router.add_api_route("", halls.home, methods=["GET"], name="admin_root")
for module in (
    login,
    halls,
    publishing,
    staff,
    services,
    rooms,
    notices,
    console,
    requests_board,
    requests_new,  # /requests/new before /requests/{request_id}
    request_categories,
    request_detail,
    request_photos,
    diary,
    fleet,
    stats,
    ratings,
    accounts,
    households,
    households_forms,
    households_import,
    visits,
    visits_leader,
    calendar,
    visits_policy,
):
    admin_router.include_router(module.router)


async def _page_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AdminPageError)
    return render(
        request,
        "admin/error.html",
        {"status": exc.status, "message": exc.message},
        status_code=exc.status,
    )


async def _back_with_message(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BackWithMessage)
    return redirect(exc.url, exc.message)


async def _login_required(request: Request, exc: Exception) -> Response:
    if request.method in ("GET", "HEAD"):
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        from urllib.parse import quote

        return RedirectResponse(f"/admin/login?next={quote(target)}", status_code=303)
    response: HTMLResponse = render(
        request,
        "admin/error.html",
        {"status": 403, "message": "请先登录（登录已过期或尚未登录）"},
        status_code=403,
    )
    return response


def mount_admin(app: FastAPI) -> None:
    """Add the admin pages, their static files and their HTML error pages to ``app``."""
    app.include_router(admin_router)
    app.mount("/admin/static", StaticFiles(directory=str(STATIC_DIR)), name="admin_static")
    app.add_exception_handler(AdminPageError, _page_error)
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(BackWithMessage, _back_with_message)
