"""A service's flowchart (服务流程图): numbered step boxes joined by arrows.

Boxes flow left to right in as many columns as fit (each at least ``min_box`` wide) and
wrap into rows; a bent arrow leads from the end of one row to the start of the next.
Each box says what happens, who does it and how long it takes.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from kivy.graphics import Color, Line, Triangle
from kivy.metrics import dp
from kivy.properties import ListProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.layout import Layout

from kiosk.core.content import Step
from kiosk.theme import theme
from kiosk.widgets import text  # noqa: F401  (kv rule)
from kiosk.widgets.kv import load_kv_beside
from kiosk.widgets.text import safe

__all__ = ["Flowchart", "StepBox"]


class StepBox(BoxLayout):
    """One step: its number, title, who does it, how long, and details."""

    number = NumericProperty(1)
    """1-based position in the flow, int."""

    title = StringProperty("")
    """What happens (markup-safe), str."""

    actor = StringProperty("")
    """Who does it (markup-safe), str."""

    duration = StringProperty("")
    """How long (markup-safe), str; may be empty."""

    detail = StringProperty("")
    """More words (markup-safe), str; may be empty."""


class Flowchart(Layout):
    """Lays out :class:`StepBox` children in wrapping rows and draws the arrows."""

    steps = ListProperty([])
    """The service's steps, list of :class:`kiosk.core.content.Step`."""

    min_box = NumericProperty(dp(300))
    """Narrowest a step box may get before the chart wraps to another row, px."""

    arrow = NumericProperty(dp(56))
    """Gap between boxes that holds an arrow, px."""

    columns = NumericProperty(1)
    """Boxes per row after the last layout, int (read-only)."""

    def __init__(self, **kwargs: Any) -> None:
        self.size_hint_y = None
        super().__init__(**kwargs)
        self.bind(steps=self._rebuild, pos=self._trigger_layout, size=self._trigger_layout)
        self._rebuild()

    def _rebuild(self, *_args: object) -> None:
        self.clear_widgets()
        steps: Sequence[Step] = self.steps
        for i, step in enumerate(steps, start=1):
            self.add_widget(
                StepBox(
                    number=i,
                    title=safe(step.title),
                    actor=safe(step.actor),
                    duration=safe(step.duration),
                    detail=safe(step.detail),
                )
            )
        self._trigger_layout()

    def do_layout(self, *_args: object) -> None:
        boxes = list(reversed(self.children))  # children are stored newest first
        if not boxes:
            self.height = 0
            self.canvas.before.clear()
            return
        gap = self.arrow
        cols = max(1, min(len(boxes), int((self.width + gap) // (self.min_box + gap))))
        self.columns = cols
        box_w = (self.width - gap * (cols - 1)) / cols
        rows = [boxes[i : i + cols] for i in range(0, len(boxes), cols)]
        for box in boxes:
            box.width = box_w
        heights = [max(b.height for b in row) for row in rows]
        total = sum(heights) + gap * (len(rows) - 1)
        self.height = total
        y = self.top
        for row, h in zip(rows, heights, strict=True):
            y -= h
            for c, box in enumerate(row):
                box.x = self.x + c * (box_w + gap)
                box.y = y + (h - box.height)  # top-aligned in the row
            y -= gap
        self._draw_arrows(rows, heights, box_w, gap)

    def _draw_arrows(
        self, rows: list[list[Any]], heights: list[float], box_w: float, gap: float
    ) -> None:
        self.canvas.before.clear()
        w = max(2.0, dp(4))
        head = gap * 0.35
        with self.canvas.before:
            Color(rgba=theme.primary)
            for r, row in enumerate(rows):
                for a, b in itertools.pairwise(row):
                    y = a.top - dp(40)
                    Line(points=[a.right + dp(6), y, b.x - head, y], width=w)
                    Triangle(
                        points=[b.x - head, y + head * 0.6, b.x - head, y - head * 0.6, b.x - 2, y]
                    )
                if r + 1 < len(rows):
                    last = row[-1]
                    first = rows[r + 1][0]
                    row_bottom = min(bx.y for bx in row)
                    mid = row_bottom - gap / 2
                    x1 = last.center_x
                    x2 = first.center_x
                    top2 = first.top
                    Line(points=[x1, last.y - dp(4), x1, mid, x2, mid, x2, top2 + head], width=w)
                    Triangle(
                        points=[
                            x2 - head * 0.6,
                            top2 + head,
                            x2 + head * 0.6,
                            top2 + head,
                            x2,
                            top2 + 2,
                        ]
                    )


load_kv_beside(__file__)
