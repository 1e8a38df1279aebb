"""The content editor's routes for one list of a hall's content (services, staff, rooms,
notices): list, add, edit, reorder, remove. The same for the lists inside an item
(a service's steps and materials, a room's activities and events) are
:mod:`kiosk.server.admin.editor_sublists`'s; what a list is, :mod:`~.content_lists`'s.

Every change is one :func:`kiosk.server.admin.drafts.edit_draft` transaction on the
hall's draft; a change that makes the content invalid is not saved and the form comes
back with the problems beside their fields.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kiosk.server.admin.content_lists import (
    Collection,
    ItemList,
    hall_zone,
    item_index,
    move_item,
)
from kiosk.server.admin.drafts import Draft, EditRefused, edit_draft, load_draft
from kiosk.server.admin.editor_sublists import register_sublist
from kiosk.server.admin.fields import (
    form_values,
    problems_by_field,
    read_fields,
    set_path,
)
from kiosk.server.admin.web import (
    HallScope,
    PostedForm,
    Runtime,
    redirect,
    render,
)
from kiosk.server.runtime import ServerRuntime

__all__ = ["Collection", "ItemList", "register_collection"]


def register_collection(router: APIRouter, coll: Collection) -> None:
    base = "/halls/{hall_id}/" + coll.key

    async def draft_of(runtime: ServerRuntime, hall_id: str) -> Draft:
        return await runtime.db.read(lambda c: load_draft(c, hall_id))

    def url(hall_id: str, item_id: str | None = None) -> str:
        out = f"/admin/halls/{hall_id}/{coll.key}"
        return f"{out}/{item_id}" if item_id else out

    async def show_edit(
        request: Request,
        runtime: ServerRuntime,
        hall: Any,
        draft: Draft,
        item: dict[str, Any] | None,
        *,
        values: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        general: list[str] | None = None,
        sub_state: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        zone = await hall_zone(runtime, hall.id)
        creating = item is None
        fields = coll.fields + (coll.new_fields if creating else [])
        shown = form_values(fields, item or {}, zone)
        if creating and values is None and coll.new_defaults is not None:
            shown.update(coll.new_defaults(zone))
        if values:
            shown.update(values)
        subs = []
        if item is not None:
            for sub in coll.subs:
                rows = []
                for i, sub_item in enumerate(item.get(sub.key, [])):
                    state = (sub_state or {}).get(f"{sub.key}:{i}", {})
                    row_values = form_values(sub.fields, sub_item, zone)
                    row_values.update(state.get("values", {}))
                    rows.append(
                        {
                            "index": i,
                            "summary": sub.summary(sub_item),
                            "shown": row_values,
                            "errors": state.get("errors", {}),
                            "general": state.get("general", []),
                        }
                    )
                new_state = (sub_state or {}).get(f"{sub.key}:new", {})
                new_values = form_values(sub.fields, {}, zone)
                new_values.update(new_state.get("values", {}))
                subs.append(
                    {
                        "list": sub,
                        "rows": rows,
                        "new": {
                            "shown": new_values,
                            "errors": new_state.get("errors", {}),
                            "general": new_state.get("general", []),
                        },
                    }
                )
        return render(
            request,
            "admin/item_form.html",
            {
                "hall": hall,
                "draft": draft,
                "coll": coll,
                "item": item,
                "fields": fields,
                "values": shown,
                "errors": errors or {},
                "general": general or [],
                "subs": subs,
                "creating": creating,
                "action": url(hall.id, item["id"]) if item is not None else url(hall.id, "new"),
            },
            status_code=status_code,
        )

    @router.get(base, response_class=HTMLResponse, name=f"{coll.key}_list")
    async def list_items(request: Request, runtime: Runtime, hall: HallScope) -> HTMLResponse:
        draft = await draft_of(runtime, hall.id)
        items = draft.content.get(coll.key, [])
        return render(
            request,
            coll.list_template,
            {
                "hall": hall,
                "draft": draft,
                "coll": coll,
                "items": [{"item": it, "summary": coll.summary(it)} for it in items],
                "zone": await hall_zone(runtime, hall.id),
            },
        )

    @router.get(base + "/new", response_class=HTMLResponse, name=f"{coll.key}_new_form")
    async def new_form(request: Request, runtime: Runtime, hall: HallScope) -> HTMLResponse:
        return await show_edit(request, runtime, hall, await draft_of(runtime, hall.id), None)

    @router.post(base + "/new", response_class=HTMLResponse, name=f"{coll.key}_create")
    async def create(
        request: Request, runtime: Runtime, hall: HallScope, post: PostedForm
    ) -> Response:
        zone = await hall_zone(runtime, hall.id)
        fields = coll.fields + coll.new_fields
        values, errors, shown = read_fields(fields, post, zone, creating=True)
        if not errors:
            item: dict[str, Any] = {}
            for name, value in values.items():
                set_path(item, name, value)
            if coll.prepare_new is not None:
                coll.prepare_new(item, values)
            for f in coll.new_fields:
                item.pop(f.name, None)
            if not item.get("id"):
                # Staff need not invent ids: a short random one is as good.
                item["id"] = f"{coll.key.rstrip('s')}-{secrets.token_hex(3)}"

            def add(content: dict[str, Any]) -> str:
                content.setdefault(coll.key, []).append(item)
                return f"新增{coll.item_label}：{item.get('name') or item.get('title') or ''}"

            try:
                await runtime.db.write(lambda c: edit_draft(c, post.session, hall.id, add))
            except EditRefused as exc:
                index = len((await draft_of(runtime, hall.id)).content.get(coll.key, []))
                problems = [
                    (
                        _alias(path, f"{coll.key}[{index}]", coll.new_aliases),
                        message,
                    )
                    for path, message in exc.problems
                ]
                errors, general = problems_by_field(problems, f"{coll.key}[{index}]", fields)
                draft = await draft_of(runtime, hall.id)
                return await show_edit(
                    request,
                    runtime,
                    hall,
                    draft,
                    None,
                    values=shown,
                    errors=errors,
                    general=general,
                    status_code=422,
                )
            return redirect(
                url(hall.id, str(item.get("id", ""))), f"已新增{coll.item_label}（草稿）"
            )
        draft = await draft_of(runtime, hall.id)
        return await show_edit(
            request, runtime, hall, draft, None, values=shown, errors=errors, status_code=422
        )

    @router.get(base + "/{item_id}", response_class=HTMLResponse, name=f"{coll.key}_edit_form")
    async def edit_form(
        request: Request, runtime: Runtime, hall: HallScope, item_id: str
    ) -> HTMLResponse:
        draft = await draft_of(runtime, hall.id)
        items = draft.content.get(coll.key, [])
        return await show_edit(request, runtime, hall, draft, items[item_index(items, item_id)])

    @router.post(base + "/{item_id}", response_class=HTMLResponse, name=f"{coll.key}_save")
    async def save(
        request: Request, runtime: Runtime, hall: HallScope, item_id: str, post: PostedForm
    ) -> Response:
        zone = await hall_zone(runtime, hall.id)
        values, errors, shown = read_fields(coll.fields, post, zone, creating=False)
        draft = await draft_of(runtime, hall.id)
        items = draft.content.get(coll.key, [])
        index = item_index(items, item_id)
        if not errors:

            def change(content: dict[str, Any]) -> str:
                target = content[coll.key][item_index(content[coll.key], item_id)]
                for name, value in values.items():
                    set_path(target, name, value)
                return f"修改{coll.item_label}：{target.get('name') or target.get('title') or ''}"

            try:
                await runtime.db.write(lambda c: edit_draft(c, post.session, hall.id, change))
                return redirect(url(hall.id, item_id), "已保存到草稿，发布后自助机才会显示")
            except EditRefused as exc:
                errors, general = problems_by_field(
                    exc.problems, f"{coll.key}[{index}]", coll.fields
                )
                return await show_edit(
                    request,
                    runtime,
                    hall,
                    draft,
                    items[index],
                    values=shown,
                    errors=errors,
                    general=general,
                    status_code=422,
                )
        return await show_edit(
            request,
            runtime,
            hall,
            draft,
            items[index],
            values=shown,
            errors=errors,
            status_code=422,
        )

    @router.post(base + "/{item_id}/delete", name=f"{coll.key}_delete")
    async def delete(runtime: Runtime, hall: HallScope, item_id: str, post: PostedForm) -> Response:
        def remove(content: dict[str, Any]) -> str:
            items = content.get(coll.key, [])
            gone = items.pop(item_index(items, item_id))
            return f"删除{coll.item_label}：{gone.get('name') or gone.get('title') or item_id}"

        try:
            await runtime.db.write(lambda c: edit_draft(c, post.session, hall.id, remove))
        except EditRefused as exc:
            return redirect(url(hall.id), "不能删除：" + str(exc))
        return redirect(url(hall.id), f"已删除{coll.item_label}（草稿）")

    @router.post(base + "/{item_id}/move", name=f"{coll.key}_move")
    async def move(runtime: Runtime, hall: HallScope, item_id: str, post: PostedForm) -> Response:
        direction = post.text("direction")

        def reorder(content: dict[str, Any]) -> str:
            items = content.get(coll.key, [])
            move_item(items, item_index(items, item_id), direction)
            return f"调整{coll.item_label}顺序：{item_id}"

        await runtime.db.write(lambda c: edit_draft(c, post.session, hall.id, reorder))
        return redirect(url(hall.id), "顺序已调整（草稿）")

    for sub in coll.subs:
        register_sublist(router, coll, sub, base, url, draft_of, show_edit)


def _alias(path: str, prefix: str, aliases: dict[str, str]) -> str:
    for source, target in aliases.items():
        if path == f"{prefix}.{source}" or path.startswith(f"{prefix}.{source}."):
            return f"{prefix}.{target}"
    return path
