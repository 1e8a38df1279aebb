"""The five faces of 好差评, drawn on the canvas: from a broad smile to a deep frown.

:class:`FaceDrawing` paints one face for a :class:`kiosk.core.ratings.Level`: a filled
disc (green for 非常满意 through amber to red for 非常不满意), two eyes, and a mouth
whose curve goes from a wide smile through a flat line to a frown; the two bad levels
get slanted brows too, so the faces differ in shape and not only in colour (colour-blind
residents, a glare on the panel). :class:`FaceButton` is the face with its word under
it, one touch target.
"""

from __future__ import annotations

from typing import Any

from kivy.graphics import Color, Ellipse, Line
from kivy.properties import ColorProperty, OptionProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.core.ratings import Level
from kiosk.theme import rgba

__all__ = ["FACE_COLORS", "FaceButton", "FaceDrawing"]

#: Disc colour per level (dark enough for the white eyes and mouth, ≥ 4.5:1).
FACE_COLORS: dict[Level, str] = {
    Level.VERY_SATISFIED: "#0E6B35",
    Level.SATISFIED: "#3F7D20",
    Level.FAIR: "#8A6100",
    Level.UNSATISFIED: "#B3400B",
    Level.VERY_UNSATISFIED: "#9B1C1C",
}
#: Mouth curve per level: corners above (+) or below (-) the middle, share of the face.
_CURVE: dict[Level, float] = {
    Level.VERY_SATISFIED: 0.22,
    Level.SATISFIED: 0.12,
    Level.FAIR: 0.0,
    Level.UNSATISFIED: -0.09,
    Level.VERY_UNSATISFIED: -0.16,
}
_LEVELS = [level.value for level in Level]


class FaceDrawing(Widget):
    """One face, in the largest circle that fits the box."""

    level = OptionProperty(Level.FAIR.value, options=_LEVELS)
    """Which face, a :class:`Level` value, default "fair"."""

    line_color = ColorProperty((1, 1, 1, 1))
    """Eyes, mouth and brows, rgba, default white."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bind(pos=self._draw, size=self._draw, level=self._draw, line_color=self._draw)
        self._draw()

    def _draw(self, *_args: Any) -> None:
        level = Level(self.level)
        side = min(self.width, self.height)
        cx, cy = self.x + self.width / 2, self.y + self.height / 2
        r = side / 2
        w = max(2.0, side * 0.05)
        self.canvas.clear()
        with self.canvas:
            Color(rgba=rgba(FACE_COLORS[level]))
            Ellipse(pos=(cx - r, cy - r), size=(side, side))
            Color(rgba=self.line_color)
            eye = side * 0.12
            for dx in (-0.36, 0.36):
                Ellipse(pos=(cx + dx * r - eye / 2, cy + 0.2 * r - eye / 2), size=(eye, eye))
            curve = _CURVE[level] * side
            # the middle of the mouth; its corners are ``curve`` above it (below: a frown)
            mouth_y = cy - 0.45 * r if curve >= 0 else cy - 0.5 * r - curve
            points: list[float] = []
            for i in range(21):
                t = -1 + i / 10
                points += [cx + t * 0.55 * r, mouth_y + curve * t * t]
            Line(points=points, width=w, cap="round", joint="round")
            if level.is_bad:
                slant = 0.1 if level is Level.UNSATISFIED else 0.2
                for s in (-1, 1):
                    inner = (cx + s * 0.12 * r, cy + 0.4 * r)
                    outer = (cx + s * 0.5 * r, cy + (0.4 + slant) * r)
                    Line(points=[*inner, *outer], width=w * 0.8, cap="round")


class FaceButton(ButtonBehavior, BoxLayout):
    """A face with its word (非常满意 … 非常不满意) under it; one large touch target."""

    level = OptionProperty(Level.FAIR.value, options=_LEVELS)
    """Which level this button gives, a :class:`Level` value, default "fair"."""

    text = StringProperty("")
    """The level's word, shown under the face (and read aloud), str."""
