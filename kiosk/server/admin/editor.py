"""The content editor's routes for one list of a hall's content (services, staff, rooms,
notices): list, add, edit, reorder, remove — and the same for lists inside an item
(a service's steps and materials, a room's activities and events).

Every change is one :func:`kiosk.server.admin.drafts.edit_draft` transaction on the
hall's draft; a change that makes the content invalid is not saved and the form comes
back with the problems beside their fields.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from kiosk.core.clock import DEFAULT_TIMEZONE
from kiosk.core.values import Position
from kiosk.server.admin.drafts import Draft, EditRefused, edit_draft, load_draft
from kiosk.server.admin.fields import (
    Field,
    form_values,
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
    render,
)
from kiosk.server.runtime import ServerRuntime

__all__ = ["Collection", "ItemList", "register_collection"]


@dataclass(frozen=True)
class ItemList:
    """A list inside an item (``steps`` of a service)."""

    key: str
    label: str
    item_label: str
    fields: list[Field]
    summary: Callable[[dict[str, Any]], str]


@dataclass(frozen=True)
class Collection:
    key: str  # the content key and the URL segment: "services"
    label: str  # 服务事项
    item_label: str  # 服务
    fields: list[Field]
    summary: Callable[[dict[str, Any]], str]
    subs: tuple[ItemList, ...] = ()
    #: Extra fields only on the "new" form, and how they become part of the item.
    new_fields: list[Field] = field(default_factory=list)
    prepare_new: Callable[[dict[str, Any], dict[str, Any]], None] | None = None
    new_aliases: dict[str, str] = field(default_factory=dict)
    #: What the "new" form shows before anything is typed (given the hall's zone).
    new_defaults: Callable[[ZoneInfo], dict[str, Any]] | None = None
    list_template: str = "admin/collection_list.html"


async def _zone(runtime: ServerRuntime, hall_id: str) -> ZoneInfo:
    entry = await runtime.halls.get(hall_id)
    return entry.zone if entry is not None else ZoneInfo(DEFAULT_TIMEZONE)


def _index(items: list[dict[str, Any]], item_id: str) -> int:
    for i, item in enumerate(items):
        if item.get("id") == item_id:
            return i
    raise AdminPageError(404, "没有找到这一项，可能已被删除")


def _move(items: list[Any], index: int, direction: str) -> None:
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]


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
        zone = await _zone(runtime, hall.id)
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
                "action": url(hall.id, "new") if creating else url(hall.id, item["id"]),
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
                "zone": await _zone(runtime, hall.id),
            },
        )

    @router.get(base + "/new", response_class=HTMLResponse, name=f"{coll.key}_new_form")
    async def new_form(request: Request, runtime: Runtime, hall: HallScope) -> HTMLResponse:
        return await show_edit(request, runtime, hall, await draft_of(runtime, hall.id), None)

    @router.post(base + "/new", response_class=HTMLResponse, name=f"{coll.key}_create")
    async def create(
        request: Request, runtime: Runtime, hall: HallScope, post: PostedForm
    ) -> Response:
        zone = await _zone(runtime, hall.id)
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
        return await show_edit(request, runtime, hall, draft, items[_index(items, item_id)])

    @router.post(base + "/{item_id}", response_class=HTMLResponse, name=f"{coll.key}_save")
    async def save(
        request: Request, runtime: Runtime, hall: HallScope, item_id: str, post: PostedForm
    ) -> Response:
        zone = await _zone(runtime, hall.id)
        values, errors, shown = read_fields(coll.fields, post, zone, creating=False)
        draft = await draft_of(runtime, hall.id)
        items = draft.content.get(coll.key, [])
        index = _index(items, item_id)
        if not errors:

            def change(content: dict[str, Any]) -> str:
                target = content[coll.key][_index(content[coll.key], item_id)]
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
            gone = items.pop(_index(items, item_id))
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
            _move(items, _index(items, item_id), direction)
            return f"调整{coll.item_label}顺序：{item_id}"

        await runtime.db.write(lambda c: edit_draft(c, post.session, hall.id, reorder))
        return redirect(url(hall.id), "顺序已调整（草稿）")

    for sub in coll.subs:
        _register_sub(router, coll, sub, base, url, draft_of, show_edit)


def _alias(path: str, prefix: str, aliases: dict[str, str]) -> str:
    for source, target in aliases.items():
        if path == f"{prefix}.{source}" or path.startswith(f"{prefix}.{source}."):
            return f"{prefix}.{target}"
    return path


def _register_sub(
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
        item_index = _index(items, item_id)
        general: list[str] = []
        if problems:
            where = len(items[item_index].get(sub.key, [])) if index is None else index
            prefix = f"{coll.key}[{item_index}].{sub.key}[{where}]"
            errors, general = problems_by_field(problems, prefix, sub.fields)
        state = {state_key: {"values": shown, "errors": errors, "general": general}}
        response: HTMLResponse = await show_edit(
            request, runtime, hall, draft, items[item_index], sub_state=state, status_code=422
        )
        return response

    @router.post(sub_base + "/new", name=f"{coll.key}_{sub.key}_add")
    async def add(
        request: Request, runtime: Runtime, hall: HallScope, item_id: str, post: PostedForm
    ) -> Response:
        zone = await _zone(runtime, hall.id)
        values, errors, shown = read_fields(sub.fields, post, zone, creating=True)
        if errors:
            return await refused(
                request, runtime, hall, item_id, f"{sub.key}:new", None, shown, errors, []
            )
        entry: dict[str, Any] = {}
        for name, value in values.items():
            set_path(entry, name, value)

        def change(content: dict[str, Any]) -> str:
            target = content[coll.key][_index(content[coll.key], item_id)]
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
        zone = await _zone(runtime, hall.id)
        values, errors, shown = read_fields(sub.fields, post, zone, creating=True)
        if errors:
            return await refused(
                request, runtime, hall, item_id, f"{sub.key}:{index}", index, shown, errors, []
            )

        def change(content: dict[str, Any]) -> str:
            target = content[coll.key][_index(content[coll.key], item_id)]
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
            target = content[coll.key][_index(content[coll.key], item_id)]
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
            target = content[coll.key][_index(content[coll.key], item_id)]
            rows = target.get(sub.key, [])
            if not 0 <= index < len(rows):
                raise AdminPageError(404, f"没有这一{sub.item_label}")
            _move(rows, index, direction)
            return f"调整{sub.item_label}顺序：{item_id}"

        await runtime.db.write(lambda c: edit_draft(c, post.session, hall.id, change))
        return redirect(url(hall.id, item_id) + anchor, "顺序已调整（草稿）")
