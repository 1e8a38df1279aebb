"""Driving the real kiosk app without a human: for tests, screenshots and benchmarks.

:func:`start_app` runs a :class:`~kiosk.app.KioskApp` in this process's Kivy window
without entering Kivy's main loop; :meth:`AppDriver.pump` advances frames and
:meth:`AppDriver.tap` presses a widget with a real touch event through the window. A
Kivy window can be created once per process, so one driver serves a whole session.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

__all__ = ["AppDriver", "make_touch", "start_app"]


def make_touch(x: float, y: float) -> Any:
    """A touch at window coordinates (x, y) that goes through Kivy's input dispatch.

    Like ``kivy.tests.common.UnitTestTouch``, without importing that module: it imports
    pytest and unittest (~14 MB), which a benchmark would then count as the kiosk's.
    ``touch_down()``, ``touch_move(x, y)``, ``touch_up()`` post the events; the next
    frame dispatches them.
    """
    return _finger_class()(x, y)


@functools.cache
def _finger_class() -> Any:
    from kivy.base import EventLoop
    from kivy.input.motionevent import MotionEvent

    def scaled(x: float, y: float) -> dict[str, float]:
        window = EventLoop.window
        return {"x": x / (window.width - 1.0), "y": y / (window.height - 1.0)}

    class _Finger(MotionEvent):  # type: ignore[misc]
        def __init__(self, x: float, y: float) -> None:
            super().__init__("Finger", 99, scaled(x, y), is_touch=True, type_id="touch")
            self.profile = ["pos"]

        def depack(self, args: dict[str, float]) -> None:
            self.sx, self.sy = args["x"], args["y"]
            super().depack(args)

        def touch_down(self) -> None:
            EventLoop.post_dispatch_input("begin", self)

        def touch_move(self, x: float, y: float) -> None:
            self.move(scaled(x, y))
            EventLoop.post_dispatch_input("update", self)

        def touch_up(self) -> None:
            EventLoop.post_dispatch_input("end", self)

    return _Finger


class AppDriver:
    """The running app, its window and helpers to press things and wait."""

    def __init__(self, app: Any) -> None:
        from kivy.base import EventLoop

        self.app = app
        self.loop = EventLoop
        self.window = EventLoop.window

    def pump(self, frames: int = 2) -> None:
        """Run ``frames`` frames of the Kivy loop (clock, input, layout, drawing)."""
        for _ in range(frames):
            self.loop.idle()

    def wait_until(self, condition: Callable[[], bool], timeout: float = 20.0) -> None:
        """Pump frames until ``condition()`` holds; AssertionError after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout} s")
            self.pump(1)
            time.sleep(0.01)

    def settle(self, ticks: int = 8) -> None:
        """Let layouts converge (texture sizes, heights) without drawing frames.

        Layout and text work runs on Kivy's clock; drawing a frame (a buffer flip) is by
        far the slowest step on a software-GL virtual display, and layout does not need it.
        """
        from kivy.clock import Clock

        for _ in range(ticks):
            Clock.tick()  # timed events: text textures, kv bindings
            Clock.tick_draw()  # "before the next frame" events: layouts

    def resize(self, width: int, height: int) -> None:
        """Resize the window and wait for the resize to arrive (it comes as a window event)."""
        self.window.size = (width, height)
        self.wait_until(lambda: tuple(self.window.size) == (width, height), timeout=20)
        self.pump(1)
        self.settle()

    def tap_at(self, x: float, y: float) -> None:
        """A single tap at window coordinates (x, y)."""
        touch = make_touch(x, y)
        touch.touch_down()
        self.pump(1)
        touch.touch_up()
        self.pump(2)

    def tap(self, widget: Any) -> None:
        """Tap the centre of ``widget`` (which must be on screen), once layout settled."""
        self.settle()
        x, y = widget.to_window(widget.center_x, widget.center_y)
        self.tap_at(x, y)

    def press(self, x: float, y: float, seconds: float) -> None:
        """Hold a finger at (x, y) for ``seconds`` (pumping frames), then lift it."""
        touch = make_touch(x, y)
        touch.touch_down()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.pump(1)
            time.sleep(0.02)
        touch.touch_up()
        self.pump(2)


def start_app(app: Any) -> AppDriver:
    """Build ``app`` into the (single) Kivy window and start its loop, embedded."""
    from kivy.base import runTouchApp

    app._run_prepare()  # build(), add root to the window, on_start()
    runTouchApp(embedded=True)
    driver = AppDriver(app)
    driver.settle()
    return driver
