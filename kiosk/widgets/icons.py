"""Icons drawn from simple shapes on the canvas (no icon font, no image files).

A :class:`ShapeIcon` draws one of a few pictures in its ``color`` inside the largest
square that fits its box: a guide, people, a house, a notice board, an "i", a ticket,
a back arrow, a phone, a clock, a loudspeaker, a stop square.
"""

from __future__ import annotations

from collections.abc import Callable

from kivy.graphics import Color, Ellipse, Line, Rectangle, RoundedRectangle, Triangle
from kivy.properties import ColorProperty, OptionProperty
from kivy.uix.widget import Widget

__all__ = ["KINDS", "ShapeIcon"]

Point = Callable[[float, float], tuple[float, float]]


class ShapeIcon(Widget):
    """A simple drawn picture, scaled to the box and centred."""

    kind = OptionProperty(
        "about",
        options=[
            "guide",
            "people",
            "rooms",
            "notices",
            "about",
            "ticket",
            "back",
            "home",
            "phone",
            "clock",
            "pin",
            "sound",
            "stop",
        ],
    )
    """Which picture, str, default "about"."""

    color = ColorProperty((1, 1, 1, 1))
    """Stroke and fill colour, rgba, default white."""

    hole_color = ColorProperty((0, 0, 0, 0))
    """Colour for cut-outs (door, ticket notches); transparent shows the parent."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.bind(
            pos=self._draw,
            size=self._draw,
            kind=self._draw,
            color=self._draw,
            hole_color=self._draw,
        )
        self._draw()

    def _draw(self, *_args: object) -> None:
        side = min(self.width, self.height) * 0.9
        # x/width, not center_x: our callback may run before the cached alias updates.
        ox = self.x + self.width / 2 - side / 2
        oy = self.y + self.height / 2 - side / 2

        def p(x: float, y: float) -> tuple[float, float]:
            return (ox + x * side, oy + y * side)

        w = max(1.5, side * 0.06)
        self.canvas.clear()
        with self.canvas:
            Color(rgba=self.color)
            _PAINTERS[self.kind](p, side, w, self)


def _guide(p: Point, s: float, w: float, icon: ShapeIcon) -> None:
    x0, y0 = p(0.18, 0.05)
    Line(rounded_rectangle=(x0, y0, 0.64 * s, 0.9 * s, 0.06 * s), width=w)
    for i, y in enumerate((0.7, 0.52, 0.34)):
        Ellipse(pos=p(0.28, y - 0.035), size=(0.07 * s, 0.07 * s))
        Line(points=[*p(0.42, y), *p(0.72 - 0.08 * (i == 2), y)], width=w * 0.8)


def _people(p: Point, s: float, w: float, icon: ShapeIcon) -> None:
    for cx, r in ((0.34, 0.15), (0.68, 0.12)):
        Ellipse(pos=p(cx - r, 0.72 - r), size=(2 * r * s, 2 * r * s))
        body_w, body_h = 3.4 * r, 2.2 * r
        round_ = (1.5 * r * s, 1.5 * r * s)
        RoundedRectangle(
            pos=p(cx - body_w / 2, 0.08),
            size=(body_w * s, body_h * s),
            radius=[round_, round_, (0, 0), (0, 0)],
        )


def _house(p: Point, s: float, w: float, icon: ShapeIcon) -> None:
    Triangle(points=[*p(0.06, 0.5), *p(0.94, 0.5), *p(0.5, 0.92)])
    Rectangle(pos=p(0.17, 0.08), size=(0.66 * s, 0.44 * s))
    Color(rgba=icon.hole_color)
    Rectangle(pos=p(0.42, 0.08), size=(0.16 * s, 0.26 * s))


def _notices(p: Point, s: float, w: float, icon: ShapeIcon) -> None:
    x0, y0 = p(0.08, 0.12)
    Line(rounded_rectangle=(x0, y0, 0.84 * s, 0.7 * s, 0.05 * s), width=w)
    Ellipse(pos=p(0.44, 0.76), size=(0.12 * s, 0.12 * s))
    for y, right in ((0.6, 0.78), (0.45, 0.78), (0.3, 0.6)):
        Line(points=[*p(0.22, y), *p(right, y)], width=w * 0.8)


def _about(p: Point, s: float, w: float, icon: ShapeIcon) -> None:
    x0, y0 = p(0.06, 0.06)
    Line(ellipse=(x0, y0, 0.88 * s, 0.88 * s), width=w)
    Ellipse(pos=p(0.43, 0.64), size=(0.14 * s, 0.14 * s))
    RoundedRectangle(pos=p(0.44, 0.2), size=(0.12 * s, 0.36 * s), radius=[0.03 * s])


def _ticket(p: Point, s: float, w: float, icon: ShapeIcon) -> None:
    RoundedRectangle(pos=p(0.06, 0.24), size=(0.88 * s, 0.52 * s), radius=[0.05 * s])
    Color(rgba=icon.hole_color)
    for cx in (0.06, 0.94):
        Ellipse(pos=p(cx - 0.08, 0.42), size=(0.16 * s, 0.16 * s))
    for y in (0.58, 0.42):
        Line(points=[*p(0.3, y), *p(0.7, y)], width=w * 0.8)


def _back(p: Point, s: float, w: float, icon: ShapeIcon) -> None:
    Triangle(points=[*p(0.08, 0.5), *p(0.45, 0.84), *p(0.45, 0.16)])
    Rectangle(pos=p(0.4, 0.4), size=(0.52 * s, 0.2 * s))


def _phone(p: Point, s: float, w: float, icon: ShapeIcon) -> None:
    x0, y0 = p(0.28, 0.04)
    Line(rounded_rectangle=(x0, y0, 0.44 * s, 0.92 * s, 0.07 * s), width=w)
    Ellipse(pos=p(0.45, 0.1), size=(0.1 * s, 0.1 * s))


def _clock(p: Point, s: float, w: float, icon: ShapeIcon) -> None:
    x0, y0 = p(0.06, 0.06)
    Line(ellipse=(x0, y0, 0.88 * s, 0.88 * s), width=w)
    Line(points=[*p(0.5, 0.78), *p(0.5, 0.5), *p(0.72, 0.38)], width=w)


def _pin(p: Point, s: float, w: float, icon: ShapeIcon) -> None:
    Ellipse(pos=p(0.22, 0.38), size=(0.56 * s, 0.56 * s))
    Triangle(points=[*p(0.26, 0.56), *p(0.74, 0.56), *p(0.5, 0.04)])
    Color(rgba=icon.hole_color)
    Ellipse(pos=p(0.39, 0.55), size=(0.22 * s, 0.22 * s))


def _sound(p: Point, s: float, w: float, icon: ShapeIcon) -> None:
    Rectangle(pos=p(0.08, 0.36), size=(0.16 * s, 0.28 * s))
    Triangle(points=[*p(0.2, 0.5), *p(0.5, 0.86), *p(0.5, 0.14)])
    Rectangle(pos=p(0.2, 0.36), size=(0.3 * s, 0.28 * s))
    for r in (0.18, 0.32):
        x0, y0 = p(0.5 - r, 0.5 - r)
        Line(ellipse=(x0, y0, 2 * r * s, 2 * r * s, 50, 130), width=w)


def _stop(p: Point, s: float, w: float, icon: ShapeIcon) -> None:
    RoundedRectangle(pos=p(0.16, 0.16), size=(0.68 * s, 0.68 * s), radius=[0.08 * s])


_PAINTERS: dict[str, Callable[[Point, float, float, ShapeIcon], None]] = {
    "guide": _guide,
    "people": _people,
    "rooms": _house,
    "home": _house,
    "notices": _notices,
    "about": _about,
    "ticket": _ticket,
    "back": _back,
    "phone": _phone,
    "clock": _clock,
    "pin": _pin,
    "sound": _sound,
    "stop": _stop,
}
KINDS = tuple(_PAINTERS)
