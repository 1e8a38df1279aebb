"""Bundled assets of the Kivy app: the Simplified-Chinese font subset and its licence.

``fonts/`` holds a subset of Noto Sans CJK SC (SIL OFL 1.1, see ``fonts/OFL.txt``) made
by ``scripts/make_font_subset.py``. Only the Kivy app imports this package.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["FONT_BOLD", "FONT_DIR", "FONT_REGULAR", "catalog_and_demo_chars", "register_fonts"]

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_REGULAR = FONT_DIR / "NotoSansSC-Subset-Regular.otf"
FONT_BOLD = FONT_DIR / "NotoSansSC-Subset-Bold.otf"


def register_fonts() -> None:
    """Make the bundled font Kivy's default (Roboto's name), regular and bold."""
    from kivy.core.text import DEFAULT_FONT, LabelBase

    LabelBase.register(
        DEFAULT_FONT,
        fn_regular=str(FONT_REGULAR),
        fn_bold=str(FONT_BOLD),
        fn_italic=str(FONT_REGULAR),
        fn_bolditalic=str(FONT_BOLD),
    )


def catalog_and_demo_chars() -> set[str]:
    """Every character of the text catalogs and of the seven demo halls' content."""
    from kiosk.core.demo import load_demo_halls
    from kiosk.i18n import CATALOG_DIR

    chars: set[str] = set()
    for po in CATALOG_DIR.glob("*/LC_MESSAGES/*.po"):
        chars |= set(po.read_text(encoding="utf-8"))
    for hall in load_demo_halls():
        chars |= set(hall.model_dump_json())
    return {c for c in chars if not c.isspace() and c.isprintable()}
