"""A hall's request categories (诉求类别): which categories the kiosk and the counter
form offer, their names, their deadline in working days and their common phrases.

One form for all categories; a mistake is shown next to its field with what was typed
kept, and nothing is saved until every field is right. The rules are the store's
(:func:`kiosk.server.requests.settings_store.category_problems`); a changed deadline
counts for requests registered from now on.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Connection

from kiosk.server import requests as store
from kiosk.server.admin.web import (
    Hall,
    HallScope,
    Posted,
    PostedForm,
    Runtime,
    redirect,
    render,
    write_or_back,
)
from kiosk.server.db import utcnow
from kiosk.server.requests import HallRequestCategory
from kiosk.server.requests.settings_store import (
    LIMIT_RANGE,
    PHRASE_MAX,
    PHRASES_MAX,
    category_problems,
    set_category,
)
from kiosk.server.runtime import Outbox, ServerRuntime

__all__ = ["router"]

router = APIRouter()


def _typed(category: HallRequestCategory) -> dict[str, Any]:
    return {
        "enabled": category.enabled,
        "label": category.label,
        "limit": str(category.core.limit_workdays),
        "phrases": "\n".join(category.phrases),
    }


def _posted(post: Posted, category_id: str) -> dict[str, Any]:
    return {
        "enabled": post.text(f"{category_id}-enabled") == "1",
        "label": post.text(f"{category_id}-label"),
        "limit": post.text(f"{category_id}-limit"),
        "phrases": post.text(f"{category_id}-phrases"),
    }


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _limit(text: str) -> int | None:
    digits = text.strip()
    return int(digits) if digits.isascii() and digits.isdigit() and len(digits) <= 3 else None


async def _page(
    request: Request,
    runtime: ServerRuntime,
    hall: Hall,
    values: dict[str, dict[str, Any]] | None = None,
    errors: dict[str, dict[str, str]] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    found = await runtime.db.read(lambda c: store.categories(c, hall.id, include_disabled=True))
    return render(
        request,
        "admin/request_categories.html",
        {
            "hall": hall,
            "categories": found,
            "values": values or {c.id: _typed(c) for c in found},
            "errors": errors or {},
            "limit_range": LIMIT_RANGE,
            "phrases_max": PHRASES_MAX,
            "phrase_max": PHRASE_MAX,
        },
        status_code=status_code,
    )


@router.get(
    "/halls/{hall_id}/requests/categories",
    response_class=HTMLResponse,
    name="request_categories",
)
async def request_categories(request: Request, runtime: Runtime, hall: HallScope) -> HTMLResponse:
    return await _page(request, runtime, hall)


@router.post("/halls/{hall_id}/requests/categories", name="request_categories_save")
async def request_categories_save(
    request: Request, runtime: Runtime, hall: HallScope, post: PostedForm
) -> Response:
    found = await runtime.db.read(lambda c: store.categories(c, hall.id, include_disabled=True))
    values = {c.id: _posted(post, c.id) for c in found}
    errors: dict[str, dict[str, str]] = {}
    for category_id, typed in values.items():
        problems = category_problems(
            label=typed["label"],
            limit_workdays=_limit(typed["limit"]),
            phrases=_lines(typed["phrases"]),
        )
        if problems:
            errors[category_id] = problems
    if errors:
        return await _page(request, runtime, hall, values, errors, status_code=422)
    changed = [c for c in found if _normal(values[c.id]) != _normal(_typed(c))]
    actor = post.session.username
    now = utcnow()

    def run(conn: Connection, outbox: Outbox) -> None:
        for category in changed:
            typed = values[category.id]
            set_category(
                conn,
                hall.id,
                category.id,
                enabled=typed["enabled"],
                label=typed["label"],
                limit_workdays=_limit(typed["limit"]) or category.core.limit_workdays,
                phrases=_lines(typed["phrases"]),
                actor=actor,
                at=now,
            )

    back = f"/admin/halls/{hall.id}/requests/categories"
    await write_or_back(runtime, run, back=back, refused="未保存：")
    if not changed:
        return redirect(back, "没有修改")
    names = "、".join(values[c.id]["label"] for c in changed)
    return redirect(back, f"已保存：{names}（新的办结时限只对之后登记的诉求生效）")


def _normal(typed: dict[str, Any]) -> tuple[bool, str, int | None, list[str]]:
    return (
        bool(typed["enabled"]),
        str(typed["label"]).strip(),
        _limit(str(typed["limit"])),
        _lines(str(typed["phrases"])),
    )
