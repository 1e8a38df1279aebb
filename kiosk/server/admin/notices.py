"""Editing a hall's notices (宣传栏, 居民公开栏) with their publish window."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kiosk.core import clock
from kiosk.core.content import NoticeBoard
from kiosk.server.admin.editor import Collection, register_collection
from kiosk.server.admin.fields import Field

__all__ = ["router"]

router = APIRouter()


def _notice(item: dict[str, Any]) -> str:
    board = (
        NoticeBoard(item["board"]).label if item.get("board") in ("publicity", "disclosure") else ""
    )
    until = item.get("publish_until") or "长期"
    start = str(item.get("publish_from", ""))[:10]
    return f"{board} · {item.get('category', '')} · {start} 至 {str(until)[:10]}"


NOTICES = Collection(
    key="notices",
    label="公告",
    item_label="公告",
    fields=[
        Field(
            "id",
            "编号",
            new_only=True,
            help="小写字母、数字和连字符，例如 fangzha-2026；可留空自动生成，建好后不能再改",
        ),
        Field("title", "标题"),
        Field(
            "board",
            "栏目",
            kind="select",
            options=tuple((b.value, b.label) for b in NoticeBoard),
        ),
        Field("category", "分类", help="例如：法制宣传 / 科普教育 / 财务公开"),
        Field("body", "正文", kind="textarea", wide=True),
        Field("publish_from", "开始显示", kind="datetime"),
        Field("publish_until", "停止显示", kind="datetime", optional=True, help="留空表示长期显示"),
        Field("pinned", "置顶", kind="checkbox"),
    ],
    summary=_notice,
    new_defaults=lambda zone: {
        "publish_from": clock.now(zone).strftime("%Y-%m-%d %H:%M"),
    },
)

register_collection(router, NOTICES)
