"""The kiosk's window on the hall's screen, apart from what is shown in it.

:func:`follow_window` keeps the theme's type scale and background in step with the
window's size; :func:`lock_window` makes it a kiosk's window (not in ``windowed`` mode):
Escape, Android back and the window manager's close are refused (the way out is the
maintenance screen), it fills the display (:func:`kiosk.fullscreen.fill_display`) and it
is turned when the display's orientation is not the one the settings want. Used by
:mod:`kiosk.app`.
"""

from __future__ import annotations

from typing import Any

from kiosk.theme import theme

__all__ = ["follow_window", "lock_window"]


def follow_window(window: Any) -> None:
    """The theme fitted to ``window`` now and whenever it changes size."""
    theme.fit_window(*window.size)
    window.bind(size=lambda _w, size: theme.fit_window(*size))
    window.clearcolor = theme.bg


def lock_window(window: Any, orientation: str) -> None:
    """No leaving, the whole display, turned to ``orientation`` (portrait / landscape)."""
    from kiosk.fullscreen import fill_display

    window.bind(on_keyboard=_swallow_escape, on_request_close=_refuse_close)
    fill_display(window)  # no window manager: borderless at (0, 0), display-sized
    w, h = window.system_size
    if (orientation == "portrait" and w > h) or (orientation == "landscape" and h > w):
        window.rotation = 90


def _swallow_escape(_window: Any, key: int, *_args: Any) -> bool:
    return key == 27  # Escape and Android back: never leave the kiosk


def _refuse_close(*_args: Any, **_kwargs: Any) -> bool:
    return True  # Alt+F4 / window manager close: ignored; exit via maintenance
