"""What the content editor edits: one list of a hall's content (:class:`Collection`:
services, staff, rooms, notices), the lists inside its items (:class:`ItemList`: a
service's steps), and the look-ups both editors' routes share.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.core.clock import HALL_TZ
from kiosk.server.admin.fields import Field
from kiosk.server.admin.web import AdminPageError
from kiosk.server.runtime import ServerRuntime

__all__ = ["Collection", "ItemList", "hall_zone", "item_index", "move_item"]


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


async def hall_zone(runtime: ServerRuntime, hall_id: str) -> ZoneInfo:
    """The hall's time zone (the default zone for a hall not known)."""
    entry = await runtime.halls.get(hall_id)
    return entry.zone if entry is not None else HALL_TZ


def item_index(items: list[dict[str, Any]], item_id: str) -> int:
    """Where the item ``item_id`` is; a 404 page if it is not there (any more)."""
    for i, item in enumerate(items):
        if item.get("id") == item_id:
            return i
    raise AdminPageError(404, "没有找到这一项，可能已被删除")


def move_item(items: list[Any], index: int, direction: str) -> None:
    """Swap ``items[index]`` with its neighbour ``up`` or down (no-op at either end)."""
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
