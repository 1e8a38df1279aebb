"""Colours, type sizes and target sizes of the kiosk, and the contrast check behind them.

One :data:`theme` object (like Kivy's own ``Metrics``) holds the sizes in pixels for the
current window, so every kv rule binds to it and the whole UI follows a window resize,
a rotation to portrait or elder mode. The numbers come from DESIGN.md: body text ≥ 18 dp
(we use 26 at 1080 px), line spacing ≥ 1.3, primary targets ≥ 60 dp (we use 96+),
contrast ≥ 7:1 for body text.
"""

from __future__ import annotations

from kivy.event import EventDispatcher
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, OptionProperty

__all__ = [
    "ELDER_PALETTE",
    "ELDER_SCALE",
    "LINE_SPACING",
    "MIN_BODY_DP",
    "MIN_TARGET_DP",
    "PALETTE",
    "TILE_COLORS",
    "Theme",
    "contrast_ratio",
    "relative_luminance",
    "rgba",
    "theme",
]

#: Body text may never be smaller than this (dp), whatever the window.
MIN_BODY_DP = 18
#: A primary touch target may never be smaller than this (dp) in either direction.
MIN_TARGET_DP = 60
#: Elder mode (长辈模式) multiplies every text and target size by this.
ELDER_SCALE = 1.5
#: Line height as a multiple of the font size, for every multi-line text.
LINE_SPACING = 1.35

#: The normal palette: calm, light background, deep blue header, near-black text.
PALETTE: dict[str, str] = {
    "bg": "#F3F5F8",
    "surface": "#FFFFFF",
    "text": "#111827",
    "text_muted": "#374151",
    "line": "#C9D1DC",
    "primary": "#0A3D6B",
    "primary_text": "#FFFFFF",
    "accent": "#8A1C1C",
    "accent_text": "#FFFFFF",
    "calling_bg": "#7C2D12",
    "calling_text": "#FFFFFF",
    "offline_bg": "#FFD966",
    "offline_text": "#111827",
    "button": "#0A3D6B",
    "button_text": "#FFFFFF",
    "button_quiet": "#E3E8EF",
    "button_quiet_text": "#111827",
    "disabled": "#D8DCE2",
    "disabled_text": "#1F2937",
    "chip_on_duty": "#0E5A36",
    "chip_visiting": "#FFD966",
    "chip_meeting": "#1E3A8A",
    "chip_leave": "#4B5563",
    "chip_text_light": "#111827",
    "chip_text_dark": "#FFFFFF",
    "now_bg": "#E6F4EA",
    "now_text": "#0B3D22",
}

#: Elder mode (长辈模式): the same roles at higher contrast (black on white, yellow focus).
ELDER_PALETTE: dict[str, str] = {
    **PALETTE,
    "bg": "#FFFFFF",
    "text": "#000000",
    "text_muted": "#1F2937",
    "primary": "#000000",
    "button": "#000000",
    "line": "#6B7280",
}

#: Home tile colours in tile order; white text on each is ≥ 7:1.
TILE_COLORS: tuple[str, ...] = (
    "#0A3D6B",  # 服务指南
    "#0E5A36",  # 在岗人员
    "#4B2E83",  # 活动室
    "#8A1C1C",  # 公告
    "#0F5560",  # 关于本居
    "#4B5563",  # 取号
    "#7C2D12",  # 我要反映
    "#1E3A8A",  # 办事进度
    "#14532D",  # 办理公开
)


def rgba(hex_color: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    """``"#0A3D6B"`` → Kivy's (r, g, b, a) in 0…1."""
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return (r, g, b, alpha)


def relative_luminance(hex_color: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour (0 black … 1 white)."""

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b, _a = rgba(hex_color)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2.x contrast ratio of two colours, 1.0 … 21.0 (order does not matter)."""
    hi, lo = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


class Theme(EventDispatcher):
    """Sizes (px) and colours for the current window; kv rules bind to these."""

    scale = NumericProperty(1.0)
    """Size factor from the window's short side (1.0 at 1080 px), float, default 1.0."""

    elder = BooleanProperty(False)
    """Elder mode (长辈模式): larger text and the high-contrast palette, bool, default False."""

    orientation = OptionProperty("landscape", options=["landscape", "portrait"])
    """Which way the window is longer, str, default "landscape"."""

    font_small = NumericProperty(dp(22))
    """Secondary text (captions, times in lists), px; never below :data:`MIN_BODY_DP`."""

    font_body = NumericProperty(dp(26))
    """Body text, px; never below :data:`MIN_BODY_DP`."""

    font_title = NumericProperty(dp(34))
    """Card and list-item titles, px."""

    font_heading = NumericProperty(dp(44))
    """Screen headings, px."""

    font_huge = NumericProperty(dp(60))
    """The clock and the called number, px."""

    target = NumericProperty(dp(96))
    """Height of a primary button (返回, 首页, list items), px; never below 60 dp."""

    pad = NumericProperty(dp(24))
    """Outer padding of screens and cards, px."""

    gap = NumericProperty(dp(20))
    """Space between neighbouring cards and tiles, px."""

    header_height = NumericProperty(dp(120))
    """Height of the status bar at the top of every screen, px."""

    nav_height = NumericProperty(dp(120))
    """Height of the 返回 / 首页 bar at the bottom of every screen, px."""

    radius = NumericProperty(dp(16))
    """Corner radius of cards and tiles, px."""

    line_spacing = NumericProperty(LINE_SPACING)
    """Line height factor for multi-line text, default 1.35."""

    bg = ColorProperty(rgba(PALETTE["bg"]))
    surface = ColorProperty(rgba(PALETTE["surface"]))
    text = ColorProperty(rgba(PALETTE["text"]))
    text_muted = ColorProperty(rgba(PALETTE["text_muted"]))
    line = ColorProperty(rgba(PALETTE["line"]))
    primary = ColorProperty(rgba(PALETTE["primary"]))
    primary_text = ColorProperty(rgba(PALETTE["primary_text"]))
    accent = ColorProperty(rgba(PALETTE["accent"]))
    accent_text = ColorProperty(rgba(PALETTE["accent_text"]))
    calling_bg = ColorProperty(rgba(PALETTE["calling_bg"]))
    calling_text = ColorProperty(rgba(PALETTE["calling_text"]))
    offline_bg = ColorProperty(rgba(PALETTE["offline_bg"]))
    offline_text = ColorProperty(rgba(PALETTE["offline_text"]))
    button = ColorProperty(rgba(PALETTE["button"]))
    button_text = ColorProperty(rgba(PALETTE["button_text"]))
    button_quiet = ColorProperty(rgba(PALETTE["button_quiet"]))
    button_quiet_text = ColorProperty(rgba(PALETTE["button_quiet_text"]))
    disabled = ColorProperty(rgba(PALETTE["disabled"]))
    disabled_text = ColorProperty(rgba(PALETTE["disabled_text"]))
    now_bg = ColorProperty(rgba(PALETTE["now_bg"]))
    now_text = ColorProperty(rgba(PALETTE["now_text"]))

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.bind(scale=self._resize, elder=self._resize)

    def fit_window(self, width: float, height: float) -> None:
        """Follow a window of ``width`` × ``height`` px: orientation and size factor."""
        self.orientation = "portrait" if height > width else "landscape"
        short = min(width, height)
        self.scale = max(0.7, min(1.4, short / dp(1080)))
        self._resize()

    def _resize(self, *_args: object) -> None:
        s = self.scale * (ELDER_SCALE if self.elder else 1.0)
        floor = dp(MIN_BODY_DP)
        self.font_small = max(floor, dp(22) * s)
        self.font_body = max(floor, dp(26) * s)
        self.font_title = max(floor, dp(34) * s)
        self.font_heading = max(floor, dp(44) * s)
        self.font_huge = max(floor, dp(60) * s)
        self.target = max(dp(MIN_TARGET_DP), dp(96) * s)
        self.pad = dp(24) * s
        self.gap = dp(20) * s
        self.header_height = max(dp(MIN_TARGET_DP), dp(112) * s)
        self.nav_height = max(dp(MIN_TARGET_DP) + dp(16), dp(124) * s)
        self.radius = dp(16) * s
        palette = ELDER_PALETTE if self.elder else PALETTE
        for role, value in palette.items():
            if hasattr(self, role) and role in self.properties():
                setattr(self, role, rgba(value))

    def color(self, role: str) -> tuple[float, float, float, float]:
        """The current palette's colour for ``role`` (any key of :data:`PALETTE`)."""
        palette = ELDER_PALETTE if self.elder else PALETTE
        return rgba(palette[role])


#: The one theme of the running kiosk (kv rules: ``#:import theme kiosk.theme.theme``).
theme = Theme()
