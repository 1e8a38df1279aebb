"""Editing a hall's services: name, category, eligibility, where to go, the flowchart
steps (add, edit, reorder, remove) and the materials to bring."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from kiosk.core.content import CATEGORIES, CATEGORY_NAMES
from kiosk.server.admin.editor import Collection, ItemList, register_collection
from kiosk.server.admin.fields import Field

__all__ = ["router"]

router = APIRouter()

_ID_HELP = "小写字母、数字和连字符，例如 dibao-shenqing；可留空自动生成，建好后不能再改"


def _service(item: dict[str, Any]) -> str:
    steps = len(item.get("steps", []))
    return f"{CATEGORY_NAMES.get(item.get('category', ''), '')} · {steps} 个步骤"


def _material(item: dict[str, Any]) -> str:
    """ "居民身份证 × 2"; 0 copies means "no count given", so nothing is shown for it."""
    copies = item.get("copies", 1)
    return f"{item.get('name', '')} × {copies}" if copies else str(item.get("name", ""))


def _new_service(item: dict[str, Any], values: dict[str, Any]) -> None:
    item["steps"] = [
        {"title": values.get("_step_title", ""), "actor": values.get("_step_actor", "")}
    ]


SERVICES = Collection(
    key="services",
    label="服务事项",
    item_label="服务",
    fields=[
        Field("id", "编号", new_only=True, help=_ID_HELP),
        Field("name", "名称"),
        Field("category", "服务类别", kind="select", options=CATEGORIES),
        Field("summary", "简介", kind="textarea", wide=True),
        Field("eligibility", "办理对象（每行一条）", kind="lines", wide=True),
        Field("where", "办理地点", help="例如：1 号窗口"),
        Field("queue", "取号队列", kind="queue", optional=True),
        Field("online_url", "网上办理地址", optional=True, help="以 http:// 或 https:// 开头"),
    ],
    new_fields=[
        Field("_step_title", "第一步：做什么"),
        Field("_step_actor", "第一步：由谁办理", help="例如：居民 / 窗口工作人员"),
    ],
    prepare_new=_new_service,
    new_aliases={"steps[0].title": "_step_title", "steps[0].actor": "_step_actor"},
    summary=_service,
    subs=(
        ItemList(
            key="steps",
            label="办理流程",
            item_label="步骤",
            fields=[
                Field("title", "做什么"),
                Field("actor", "由谁办理", help="居民 / 窗口工作人员 / 街道民政科 …"),
                Field("detail", "说明", kind="textarea"),
                Field("duration", "需要多久", help="例如：约10分钟 / 5个工作日"),
            ],
            summary=lambda s: f"{s.get('title', '')}（{s.get('actor', '')}）",
        ),
        ItemList(
            key="materials",
            label="所需材料",
            item_label="材料",
            fields=[
                Field("name", "材料名称"),
                Field("copies", "份数", kind="int", help="0 表示不注明份数"),
                Field("note", "备注", kind="textarea"),
            ],
            summary=_material,
        ),
    ),
)

register_collection(router, SERVICES)
