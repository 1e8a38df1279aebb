"""A large number pad for the kiosk: 1–9, 0, an optional extra key and 删除.

:class:`NumberPad` is twelve big keys in a 3 × 4 grid; a key press calls ``on_key`` with
``"0"``–``"9"``, ``extra`` (e.g. ``"-"``, the 楼号-单元-室 separator) or ``"back"``. It
holds no value: the screen that owns it keeps what was typed and shows it (masked, for a
phone number). Used by 我要反映 (location, phone) and 办事进度 (查询码).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.metrics import dp
from kivy.properties import StringProperty
from kivy.uix.gridlayout import GridLayout

from kiosk.i18n import _
from kiosk.theme import MIN_TARGET_DP, theme
from kiosk.widgets.buttons import BigButton
from kiosk.widgets.kv import load_kv_beside

__all__ = ["NumberPad"]


class NumberPad(GridLayout):
    """Twelve keys; ``on_key(key)`` is called for each press."""

    extra = StringProperty("")
    """The key left of 0 (``"-"``), str; empty leaves a blank."""

    extra_label = StringProperty("")
    """What a tap on the extra key says (``"-"`` → 下一项), str; it shows ``extra``."""

    def __init__(self, *, on_key: Callable[[str], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.on_key = on_key
        self.keys: dict[str, BigButton] = {}
        self.bind(extra=self._build, extra_label=self._build)
        theme.bind(orientation=self._build, elder=self._build)  # 4 × 3 or a wide pad
        self._build()

    @property
    def least_height(self) -> float:
        """The lowest the pad may be squeezed: every key a 60 dp target (px)."""
        rows = 12 // (self.cols or 3)
        return float(rows * dp(MIN_TARGET_DP) * 1.1 + theme.gap * 0.6 * (rows - 1))

    def _build(self, *_args: Any) -> None:
        self.clear_widgets()
        self.keys = {}
        # Elder mode in landscape leaves little height: two rows of six keys, not four
        # rows of three (on a 1280-wide panel too: the pad is given more than half the
        # page's width there, so 删除 still fits its key).
        wide = theme.elder and theme.orientation == "landscape"
        self.cols = 6 if wide else 3
        for key in ("1", "2", "3", "4", "5", "6", "7", "8", "9", "extra", "0", "back"):
            if key == "extra" and not self.extra:
                self.add_widget(BigButton(text="", disabled=True, opacity=0, size_hint_y=1))
                continue
            name = {"extra": self.extra, "back": "back"}.get(key, key)
            label = {"extra": self.extra, "back": _("Delete")}.get(key, key)
            button = BigButton(text=label, size_hint_y=1)
            largest = theme.font_title if key == "back" else theme.font_huge
            button.bind(size=lambda b, _s, most=largest: _fit_font(b, most))
            button.font_size = largest
            if key in ("extra", "back"):
                button.bg_color = theme.button_quiet
                button.color = theme.button_quiet_text
            button.speech = self.extra_label if key == "extra" and self.extra_label else label
            button.bind(on_release=lambda _b, k=name: self.on_key(k))
            self.keys[name] = button
            self.add_widget(button)


def _fit_font(key: BigButton, largest: float) -> None:
    """As large as the key allows: a line is about 1.75 × the font size high, and a
    Chinese character about as wide as the font size (never below the theme's floor)."""
    chars = max(1, len(key.text))
    fits = min(key.height / 1.9, (key.width - theme.pad) / (chars * 1.1))
    key.font_size = max(theme.font_small, min(largest, fits))


load_kv_beside(__file__)
