"""Filling the hall's screen, with or without a window manager.

SDL's desktop fullscreen (Kivy's ``fullscreen = auto``) asks the window manager to size
the window; on a bare X server (no window manager, as on many kiosk PCs and on Xvfb)
nobody does, and the X window keeps its first size (800×600, centred) while Kivy lays
out for the whole display. So the kiosk's command (``kiosk.cli.configure_kivy``) asks X
for the display's size (:func:`display_size`) before Kivy makes its window and makes it at
that size from the first frame: without a window manager as a borderless window at
(0, 0), with one fullscreen. :func:`fill_display` stays as the fallback once the window
exists (X could not be asked before), turning the window into a borderless window of the
display's size at (0, 0); only the apps call it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from typing import Any

__all__ = ["display_size", "fill_display", "window_manager_running"]


def _xlib() -> Any | None:
    """libX11 with its display calls declared, or None when there is no X to ask."""
    if not sys.platform.startswith("linux") or not os.environ.get("DISPLAY"):
        return None
    name = ctypes.util.find_library("X11")
    if name is None:
        return None
    try:
        x11 = ctypes.cdll.LoadLibrary(name)
    except OSError:
        return None
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    return x11


def display_size() -> tuple[int, int] | None:
    """(width, height) in pixels of ``$DISPLAY``'s default screen; None if X cannot be
    asked. Read before Kivy makes its window, so the window is made at that size."""
    x11 = _xlib()
    if x11 is None:
        return None
    x11.XDefaultScreen.argtypes = [ctypes.c_void_p]
    x11.XDisplayWidth.argtypes = [ctypes.c_void_p, ctypes.c_int]
    x11.XDisplayHeight.argtypes = [ctypes.c_void_p, ctypes.c_int]
    display = x11.XOpenDisplay(None)
    if not display:
        return None
    try:
        screen = x11.XDefaultScreen(display)
        width, height = x11.XDisplayWidth(display, screen), x11.XDisplayHeight(display, screen)
    finally:
        x11.XCloseDisplay(display)
    return (width, height) if width > 0 and height > 0 else None


def window_manager_running() -> bool | None:
    """Whether an EWMH window manager runs on ``$DISPLAY``; None if X cannot be asked.

    A window manager announces itself in the root window's ``_NET_SUPPORTING_WM_CHECK``
    property (every current one does: xfwm, mutter, openbox, matchbox, i3, …).
    """
    x11 = _xlib()
    if x11 is None:
        return None
    x11.XDefaultRootWindow.restype = ctypes.c_ulong
    x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    x11.XInternAtom.restype = ctypes.c_ulong
    x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x11.XGetWindowProperty.argtypes = [
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.c_ulong,
        ctypes.c_long,
        ctypes.c_long,
        ctypes.c_int,
        ctypes.c_ulong,
        ctypes.POINTER(ctypes.c_ulong),
        ctypes.POINTER(ctypes.c_int),
        ctypes.POINTER(ctypes.c_ulong),
        ctypes.POINTER(ctypes.c_ulong),
        ctypes.POINTER(ctypes.c_void_p),
    ]
    x11.XFree.argtypes = [ctypes.c_void_p]
    display = x11.XOpenDisplay(None)
    if not display:
        return None
    try:
        atom = x11.XInternAtom(display, b"_NET_SUPPORTING_WM_CHECK", 1)
        if not atom:
            return False  # never interned: no window manager has run on this server
        kind, fmt = ctypes.c_ulong(), ctypes.c_int()
        count, after, data = ctypes.c_ulong(), ctypes.c_ulong(), ctypes.c_void_p()
        status = x11.XGetWindowProperty(
            display,
            x11.XDefaultRootWindow(display),
            atom,
            0,
            1,
            0,
            0,  # AnyPropertyType
            ctypes.byref(kind),
            ctypes.byref(fmt),
            ctypes.byref(count),
            ctypes.byref(after),
            ctypes.byref(data),
        )
        if data:
            x11.XFree(data)
        return status == 0 and count.value > 0
    finally:
        x11.XCloseDisplay(display)


def fill_display(window: Any) -> bool:
    """Make a fullscreen-requested Kivy window cover the display; True if it had to.

    With a window manager, SDL's fullscreen works and nothing changes. Without one, the
    window leaves SDL fullscreen and becomes borderless, at (0, 0), of the display's size
    (the desktop mode SDL reported when it made the window). The cursor stays hidden.
    """
    if window.fullscreen not in ("auto", True) or window_manager_running() is not False:
        return False
    width, height = (int(v) for v in window.system_size)  # SDL's desktop display mode
    window.fullscreen = False
    window.borderless = True
    from kivy.base import EventLoop

    EventLoop.idle()  # SDL leaves fullscreen (back to its windowed 800×600) first
    window.left, window.top = 0, 0
    window.size = (width, height)
    window.show_cursor = False
    return True
