"""The content editor's routes for a list inside an item (a service's steps and
materials, a room's activities and events): add, edit, reorder, remove — each one
:func:`kiosk.server.admin.drafts.edit_draft` transaction on the hall's draft, shown on
the item's own edit page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kiosk.core.values import Position
from kiosk.server.admin.content_lists import Collection, ItemList, hall_zone, item_index, move_item
from kiosk.server.admin.drafts import EditRefused, edit_draft
from kiosk.server.admin.fields import (
    problems_by_field,
    read_fields,
    set_path,
)
from kiosk.server.admin.web import (
    AdminPageError,
    HallScope,
    PostedForm,
    Runtime,
    redirect,
)
from kiosk.server.runtime import ServerRuntime

__all__ = ["register_sublist"]


def register_sublist(
    router: APIRouter,
    coll: Collection,
    sub: ItemList,
    base: str,
    url: Callable[..., str],
    draft_of: Callable[..., Any],
    show_edit: Callable[..., Any],
) -> None:
    sub_base = base + "/{item_id}/" + sub.key
    anchor = f"#{sub.key}"

    async def refused(
        request: Request,
        runtime: ServerRuntime,
        hall: Any,
        item_id: str,
        state_key: str,
        index: int | None,
        shown: dict[str, Any],
        errors: dict[str, str],
        problems: list[tuple[str, str]],
    ) -> HTMLResponse:
        draft = await draft_of(runtime, hall.id)
        items = draft.content.get(coll.key, [])
        at = item_index(items, item_id)
        general: list[str] = []
        if problems:
            where = len(items[at].get(sub.key, [])) if index is None else index
            prefix = f"{coll.key}[{at}].{sub.key}[{where}]"
            errors, general = problems_by_field(problems, prefix, sub.fields)
        state = {state_key: {"values": shown, "errors": errors, "general": general}}
        response: HTMLResponse = await show_edit(
            request, runtime, hall, draft, items[at], sub_state=state, status_code=422
        )
        return response

    @router.post(sub_base + "/new", name=f"{coll.key}_{sub.key}_add")
    async def add(
        request: Request, runtime: Runtime, hall: HallScope, item_id: str, post: PostedForm
    ) -> Response:
        zone = await hall_zone(runtime, hall.id)
        values, errors, shown = read_fields(sub.fields, post, zone, creating=True)
        if errors:
            return await refused(
                request, runtime, hall, item_id, f"{sub.key}:new", None, shown, errors, []
            )
        entry: dict[str, Any] = {}
        for name, value in values.items():
            set_path(entry, name, value)

        def change(content: dict[str, Any]) -> str:
            target = content[coll.key][item_index(content[coll.key], item_id)]
            target.setdefault(sub.key, []).append(entry)
            return f"新增{sub.item_label}：{item_id}"

        try:
            await runtime.db.write(lambda c: edit_draft(c, post.session, hall.id, change))
        except EditRefused as exc:
            return await refused(
                request, runtime, hall, item_id, f"{sub.key}:new", None, shown, {}, exc.problems
            )
        return redirect(url(hall.id, item_id) + anchor, f"已新增{sub.item_label}（草稿）")

    @router.post(sub_base + "/{index}", name=f"{coll.key}_{sub.key}_save")
    async def save(
        request: Request,
        runtime: Runtime,
        hall: HallScope,
        item_id: str,
        index: Position,
        post: PostedForm,
    ) -> Response:
        zone = await hall_zone(runtime, hall.id)
        values, errors, shown = read_fields(sub.fields, post, zone, creating=True)
        if errors:
            return await refused(
                request, runtime, hall, item_id, f"{sub.key}:{index}", index, shown, errors, []
            )

        def change(content: dict[str, Any]) -> str:
            target = content[coll.key][item_index(content[coll.key], item_id)]
            rows = target.get(sub.key, [])
            if not 0 <= index < len(rows):
                raise AdminPageError(404, f"没有这一{sub.item_label}")
            entry: dict[str, Any] = {}
            for name, value in values.items():
                set_path(entry, name, value)
            rows[index] = entry
            return f"修改{sub.item_label}：{item_id} 第 {index + 1} 项"

        try:
            await runtime.db.write(lambda c: edit_draft(c, post.session, hall.id, change))
        except EditRefused as exc:
            return await refused(
                request,
                runtime,
                hall,
                item_id,
                f"{sub.key}:{index}",
                index,
                shown,
                {},
                exc.problems,
            )
        return redirect(url(hall.id, item_id) + anchor, f"已保存{sub.item_label}（草稿）")

    @router.post(sub_base + "/{index}/delete", name=f"{coll.key}_{sub.key}_delete")
    async def delete(
        runtime: Runtime,
        hall: HallScope,
        item_id: str,
        index: Position,
        post: PostedForm,
    ) -> Response:
        def change(content: dict[str, Any]) -> str:
            target = content[coll.key][item_index(content[coll.key], item_id)]
            rows = target.get(sub.key, [])
            if not 0 <= index < len(rows):
                raise AdminPageError(404, f"没有这一{sub.item_label}")
            rows.pop(index)
            return f"删除{sub.item_label}：{item_id} 第 {index + 1} 项"

        try:
            await runtime.db.write(lambda c: edit_draft(c, post.session, hall.id, change))
        except EditRefused as exc:
            message = "；".join(msg for _, msg in exc.problems)
            return redirect(url(hall.id, item_id) + anchor, f"不能删除：{message}")
        return redirect(url(hall.id, item_id) + anchor, f"已删除{sub.item_label}（草稿）")

    @router.post(sub_base + "/{index}/move", name=f"{coll.key}_{sub.key}_move")
    async def move(
        runtime: Runtime,
        hall: HallScope,
        item_id: str,
        index: Position,
        post: PostedForm,
    ) -> Response:
        direction = post.text("direction")

        def change(content: dict[str, Any]) -> str:
            target = content[coll.key][item_index(content[coll.key], item_id)]
            rows = target.get(sub.key, [])
            if not 0 <= index < len(rows):
                raise AdminPageError(404, f"没有这一{sub.item_label}")
            move_item(rows, index, direction)
            return f"调整{sub.item_label}顺序：{item_id}"

        await runtime.db.write(lambda c: edit_draft(c, post.session, hall.id, change))
        return redirect(url(hall.id, item_id) + anchor, "顺序已调整（草稿）")
