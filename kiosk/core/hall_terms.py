"""The fixed words of a hall's content: the ten service categories (十大类服务), a staff
member's on-duty status (人员在岗公示) and the two notice boards.

Pure values with their Chinese labels; :mod:`kiosk.core.content` builds the content
model from them (and re-exports them).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CATEGORIES", "CATEGORY_NAMES", "NoticeBoard", "StaffStatus"]

#: The ten service categories (十大类服务), in display order: (id, name).
CATEGORIES: tuple[tuple[str, str], ...] = (
    ("party", "党员教育"),
    ("safety", "平安秩序"),
    ("environment", "环境美化"),
    ("employment", "就业宣传"),
    ("assistance", "帮扶救助"),
    ("elderly", "居家养老"),
    ("health", "卫生计生"),
    ("culture", "科教文体"),
    ("organizations", "社会组织"),
    ("family", "妇女儿童"),
)
CATEGORY_NAMES: dict[str, str] = dict(CATEGORIES)


class StaffStatus(StrEnum):
    """On-duty status shown on the staff board (人员在岗公示)."""

    ON_DUTY = "on_duty"  # 在岗
    VISITING = "visiting"  # 外出走访
    MEETING = "meeting"  # 会议
    LEAVE = "leave"  # 休假

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self]


_STATUS_LABELS = {
    StaffStatus.ON_DUTY: "在岗",
    StaffStatus.VISITING: "外出走访",
    StaffStatus.MEETING: "会议",
    StaffStatus.LEAVE: "休假",
}


class NoticeBoard(StrEnum):
    PUBLICITY = "publicity"  # 宣传栏 (法制宣传、科普教育)
    DISCLOSURE = "disclosure"  # 居民公开栏

    @property
    def label(self) -> str:
        return "宣传栏" if self is NoticeBoard.PUBLICITY else "居民公开栏"
