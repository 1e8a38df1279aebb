"""Notices (公告): the publicity board (宣传栏) and the residents' board (居民公开栏).

Only notices inside their publish window are listed; pinned first, newest first.
"""

from __future__ import annotations

from typing import Any

from kivy.properties import StringProperty

from kiosk.core.content import Notice, NoticeBoard
from kiosk.i18n import N_, _
from kiosk.screens.base import KioskScreen
from kiosk.theme import theme
from kiosk.widgets import buttons, card, text  # noqa: F401  (kv rules)
from kiosk.widgets.card import TapCard
from kiosk.widgets.kv import load_kv_beside
from kiosk.widgets.text import Caption, WrapLabel, safe

__all__ = ["BOARD_NAMES", "NoticeScreen", "NoticesScreen"]

BOARD_NAMES = {
    NoticeBoard.PUBLICITY: N_("Publicity board"),
    NoticeBoard.DISCLOSURE: N_("Residents' board"),
}


def _date(notice: Notice, host: Any) -> str:
    local = notice.publish_from.astimezone(host.now().tzinfo)
    return _("{year}/{month}/{day}").format(year=local.year, month=local.month, day=local.day)


class NoticesScreen(KioskScreen):
    """Two board buttons and the published notices of the chosen board."""

    board = StringProperty(NoticeBoard.PUBLICITY.value)
    """The board shown, "publicity" or "disclosure"."""

    def show(self, **params: Any) -> None:
        self.board = params.get("board", self.board)
        self.refresh()

    def choose(self, board: str) -> None:
        self.board = board
        self.ids.scroll.scroll_y = 1
        self.refresh()

    def refresh(self) -> bool:
        rows = self.ids.rows
        rows.clear_widgets()
        content = self.host.content
        shown = content.published_notices(self.host.now()) if content is not None else []
        shown = [n for n in shown if n.board.value == self.board]

        def row_for(notice: Notice) -> TapCard:
            pin = _("[Pinned] ") if notice.pinned else ""
            meta = f"{pin}{safe(notice.category)}  ·  {_date(notice, self.host)}"
            row = TapCard()
            row.add_widget(Caption(text=meta, markup=True))
            row.add_widget(
                WrapLabel(
                    text=safe(notice.title), markup=True, bold=True, font_size=theme.font_title
                )
            )
            row.bind(on_release=lambda _r, nid=notice.id: self.host.open("notice", notice_id=nid))
            return row

        if not self.add_items(rows, shown, row_for):
            rows.add_widget(WrapLabel(text=_("No notices on this board at the moment.")))
        return True

    def reset(self) -> None:
        super().reset()
        self.board = NoticeBoard.PUBLICITY.value


class NoticeScreen(KioskScreen):
    """One notice in full: board, category, date, title and body."""

    notice_id = StringProperty("")
    """Id of the notice shown, str."""

    meta = StringProperty("")
    body = StringProperty("")

    def show(self, **params: Any) -> None:
        self.notice_id = params.get("notice_id", self.notice_id)
        self.refresh()

    def refresh(self) -> bool:
        content = self.host.content
        now = self.host.now()
        notice = None
        if content is not None:
            notice = next(
                (n for n in content.published_notices(now) if n.id == self.notice_id), None
            )
        if notice is None:
            self.heading = self.meta = self.body = ""
            return False
        self.heading = safe(notice.title)
        board = _(BOARD_NAMES[notice.board])
        self.meta = f"{board}  ·  {safe(notice.category)}  ·  {_date(notice, self.host)}"
        self.body = safe(notice.body)
        return True


load_kv_beside(__file__)
