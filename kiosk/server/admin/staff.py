"""A hall's staff: editing their cards, uploading a photo, and the one-tap on-duty status
(在岗 / 外出走访 / 会议 / 休假, with a return time) which is published at once."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from sqlalchemy.engine import Connection
from starlette.datastructures import UploadFile

from kiosk.core.content import StaffStatus
from kiosk.core.media import MAX_MEDIA_BYTES, MediaRefused, shrink_photo
from kiosk.core.moments import check_moment
from kiosk.core.values import check_text
from kiosk.server.admin.drafts import (
    EditRefused,
    audit,
    edit_draft,
    keep_status_in_draft,
    load_draft,
)
from kiosk.server.admin.editor import Collection, register_collection
from kiosk.server.admin.fields import Field, typed_date, typed_time
from kiosk.server.admin.web import (
    AdminPageError,
    HallScope,
    PostedForm,
    Runtime,
    redirect,
    write_or_back,
)
from kiosk.server.content_store import publish_staff_status
from kiosk.server.db import utcnow
from kiosk.server.media import check_media, media_response, read_media, store_media
from kiosk.server.runtime import Outbox

__all__ = ["router"]

router = APIRouter()


def _person(item: dict[str, Any]) -> str:
    return str(item.get("post", ""))


STAFF = Collection(
    key="staff",
    label="工作人员",
    item_label="工作人员",
    fields=[
        Field(
            "id",
            "编号",
            new_only=True,
            help="小写字母、数字和连字符，例如 wang-li；可留空自动生成，建好后不能再改",
        ),
        Field("name", "姓名"),
        Field("post", "职务"),
        Field("duties", "负责事项（每行一条）", kind="lines", wide=True),
        Field("phone", "电话", optional=True),
    ],
    summary=_person,
    list_template="admin/staff_list.html",
)


def _until(post: Any, zone: Any) -> dt.datetime | None:
    """The return time from the form: today's (or tomorrow's) HH:MM, or a full date."""
    day = post.text("until_date")
    clock = post.text("until_time")
    if not clock and not day:
        return None
    try:
        hour, minute = (int(x) for x in typed_time(clock or "09:00").split(":"))
    except ValueError:
        raise ValueError("返回时间格式不对，应为 15:30（24 小时制）") from None
    try:
        date = typed_date(day) if day else None
    except ValueError as exc:
        text = str(exc)
        said = f"返回{text}" if text.startswith("日期") else f"返回日期：{text}"
        raise ValueError(said) from None
    now = utcnow().astimezone(zone)
    date = date or now.date()
    moment = dt.datetime.combine(date, dt.time(hour, minute), tzinfo=zone)
    if not day and moment <= now:
        moment += dt.timedelta(days=1)
    try:
        return check_moment(moment)
    except ValueError as exc:
        raise ValueError(f"返回时间：{exc}") from None


@router.post("/halls/{hall_id}/staff/{item_id}/status", name="staff_status")
async def change_status(
    runtime: Runtime, hall: HallScope, item_id: str, post: PostedForm
) -> Response:
    entry = await runtime.halls.require(hall.id)
    back = f"/admin/halls/{hall.id}/staff#staff-{item_id}"
    try:
        status = StaffStatus(post.text("status"))
    except ValueError:
        return redirect(back, "请选择一个状态：在岗、外出走访、会议或休假")
    try:
        until = None if status is StaffStatus.ON_DUTY else _until(post, entry.zone)
    except ValueError as exc:
        return redirect(back, str(exc))
    note = post.text("note")[:100]
    try:
        check_text(note)
    except ValueError as exc:
        return redirect(back, f"说明{exc}")

    def change(conn: Connection, outbox: Outbox) -> tuple[str, int]:
        snapshot, seq = publish_staff_status(
            conn, hall.id, item_id, status, until, note, post.session.staff.principal
        )
        keep_status_in_draft(
            conn,
            hall.id,
            item_id,
            {
                "status": status.value,
                "status_until": until.isoformat() if until else None,
                "status_note": note,
            },
            snapshot.version,
        )
        member = snapshot.content.staff_member(item_id)
        name = member.name if member is not None else item_id
        when = f"，{until.astimezone(entry.zone):%m-%d %H:%M} 返回" if until else ""
        audit(conn, post.session, "staff_status", hall.id, f"{name}：{status.label}{when}")
        outbox.publication(hall.id, seq)
        return name, snapshot.version

    name, version = await write_or_back(runtime, change, back=back)
    return redirect(back, f"{name} 已改为“{status.label}”，自助机即刻更新（第 {version} 版）")


@router.post("/halls/{hall_id}/staff/{item_id}/photo", name="staff_photo")
async def upload_photo(
    runtime: Runtime, hall: HallScope, item_id: str, post: PostedForm
) -> Response:
    back = f"/admin/halls/{hall.id}/staff/{item_id}"
    upload = post.form.get("photo")
    if not isinstance(upload, UploadFile):
        return redirect(back, "没有收到文件，请选择一张照片")
    data = await upload.read(MAX_MEDIA_BYTES + 1)
    try:
        cleaned, _ = await asyncio.to_thread(shrink_photo, data)
        await asyncio.to_thread(check_media, cleaned)  # remembered: the writer won't decode
    except MediaRefused as exc:
        return redirect(back, f"照片未上传：{exc}")

    def change(conn: Connection) -> str:
        digest, _ = store_media(conn, cleaned)

        def set_photo(content: dict[str, Any]) -> str:
            for person in content.get("staff", []):
                if person.get("id") == item_id:
                    person["photo"] = digest
                    return f"更换照片：{person.get('name', item_id)}"
            raise AdminPageError(404, "没有这位工作人员")

        return edit_draft(conn, post.session, hall.id, set_photo)

    try:
        await runtime.db.write(change)
    except EditRefused as exc:
        return redirect(back, f"照片未保存：{exc}")
    return redirect(back, "照片已更新（草稿），发布后自助机才会显示")


@router.post("/halls/{hall_id}/staff/{item_id}/photo/remove", name="staff_photo_remove")
async def remove_photo(
    runtime: Runtime, hall: HallScope, item_id: str, post: PostedForm
) -> Response:
    def drop(content: dict[str, Any]) -> str:
        for person in content.get("staff", []):
            if person.get("id") == item_id:
                person.pop("photo", None)
                return f"移除照片：{person.get('name', item_id)}"
        raise AdminPageError(404, "没有这位工作人员")

    await runtime.db.write(lambda c: edit_draft(c, post.session, hall.id, drop))
    return redirect(f"/admin/halls/{hall.id}/staff/{item_id}", "照片已移除（草稿）")


register_collection(router, STAFF)


@router.get("/halls/{hall_id}/media/{sha256}", name="hall_media")
async def hall_media(runtime: Runtime, hall: HallScope, sha256: str) -> Response:
    """A photo named by this hall's draft or published content (and no other)."""

    def read(conn: Connection) -> Any:
        draft = load_draft(conn, hall.id)
        entry = runtime.halls.get_sync(conn, hall.id)
        named = {s.get("photo") for s in draft.content.get("staff", [])}
        if entry is not None and entry.content is not None:
            named |= entry.content.media_hashes()
        if sha256 not in named:
            return None
        return read_media(conn, sha256)

    found = await runtime.db.read(read)
    if found is None:
        raise AdminPageError(404, "没有这张图片（或文件未通过图片检查）")
    data, checked = found
    return media_response(data, checked, {"Cache-Control": "private, max-age=86400"})
