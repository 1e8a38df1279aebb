"""The idle warning shown before the kiosk returns to home, with its countdown."""

from __future__ import annotations

from typing import Any

from kivy.properties import NumericProperty, ObjectProperty
from kivy.uix.modalview import ModalView

from kiosk.widgets import buttons, text  # noqa: F401  (kv rule)
from kiosk.widgets.kv import load_kv_beside

__all__ = ["IdleWarning"]


class IdleWarning(ModalView):
    """ "还在使用吗？" with seconds left and a big 继续使用 button."""

    seconds_left = NumericProperty(0)
    """Whole seconds until the return to home, int."""

    keep_using = ObjectProperty(None, allownone=True)
    """Called when the resident taps 继续使用 (or anywhere), callable or None."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("auto_dismiss", False)
        super().__init__(**kwargs)

    def on_touch_down(self, touch: Any) -> bool:
        super().on_touch_down(touch)
        if self.keep_using is not None:
            self.keep_using()
        return True


load_kv_beside(__file__)
