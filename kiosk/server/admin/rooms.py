"""Editing a hall's rooms: opening hours, weekly activities and one-off events."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kiosk.server.admin.editor import Collection, ItemList, register_collection
from kiosk.server.admin.fields import Field, weekday_text

__all__ = ["router"]

router = APIRouter()


def _room(item: dict[str, Any]) -> str:
    return (
        f"{item.get('location', '')} · 每周活动 {len(item.get('activities', []))} 项 · "
        f"单次活动 {len(item.get('events', []))} 项"
    )


ROOMS = Collection(
    key="rooms",
    label="活动室",
    item_label="活动室",
    fields=[
        Field(
            "id",
            "编号",
            new_only=True,
            help="小写字母、数字和连字符，例如 shuhua；可留空自动生成，建好后不能再改",
        ),
        Field("name", "名称", help="例如：书画室"),
        Field("location", "位置", help="例如：二楼东侧"),
        Field(
            "hours",
            "开放时间（每行一段）",
            kind="hours",
            help="星期 开始-结束，例如“1-5 08:30-17:30”或“6,7 09:00-11:30”（1=周一）",
        ),
        Field("description", "介绍", kind="textarea", wide=True),
    ],
    summary=_room,
    new_defaults=lambda zone: {"hours": "1-5 08:30-17:30"},
    subs=(
        ItemList(
            key="activities",
            label="每周活动",
            item_label="每周活动",
            fields=[
                Field("title", "活动名称"),
                Field("weekdays", "每周哪几天", kind="weekdays"),
                Field("start", "开始", kind="time"),
                Field("end", "结束", kind="time"),
                Field("leader", "负责人"),
                Field("note", "备注", kind="textarea"),
            ],
            summary=lambda a: (
                f"{weekday_text(a.get('weekdays', []))} {a.get('start', '')}–{a.get('end', '')} "
                f"{a.get('title', '')}"
            ),
        ),
        ItemList(
            key="events",
            label="单次活动",
            item_label="单次活动",
            fields=[
                Field("title", "活动名称"),
                Field("date", "日期", kind="date"),
                Field("start", "开始", kind="time"),
                Field("end", "结束", kind="time"),
                Field("note", "备注", kind="textarea"),
            ],
            summary=lambda e: (
                f"{e.get('date', '')} {e.get('start', '')}–{e.get('end', '')} {e.get('title', '')}"
            ),
        ),
    ),
)

register_collection(router, ROOMS)
