"""Every user-facing string comes from the zh_CN catalog, and the bundled font can draw
every character of the catalog and of the seven demo halls."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from fontTools.ttLib import TTFont

from kiosk import i18n
from kiosk.assets import FONT_BOLD, FONT_REGULAR, catalog_and_demo_chars

KIOSK = Path(i18n.__file__).resolve().parent
_CALL = re.compile(r"""\bN?_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*[,)]""")
_APP_PARTS = ("app.py", "screens", "widgets", "voice", "printer", "rating")


def used_msgids() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in sorted([*KIOSK.rglob("*.py"), *KIOSK.rglob("*.kv")]):
        rel = path.relative_to(KIOSK)
        if rel.parts[0] not in _APP_PARTS:
            continue
        for match in _CALL.finditer(path.read_text(encoding="utf-8")):
            quoted = match.group(0)[match.group(0).index("(") + 1 :].rstrip(",)").strip()
            found.setdefault(ast.literal_eval(quoted), str(rel))
    return found


def zh_catalog() -> dict[str, str]:
    with i18n.catalog_path("zh_CN").open("rb") as fh:
        return {m.id: m.string for m in read_po(fh) if m.id}


def test_the_app_uses_the_catalog_at_all() -> None:
    assert len(used_msgids()) > 60


def test_every_string_the_app_shows_has_a_chinese_translation() -> None:
    catalog = zh_catalog()
    missing = {m: where for m, where in used_msgids().items() if not catalog.get(m)}
    assert not missing, f"add to kiosk/locale/zh_CN/LC_MESSAGES/kiosk.po: {missing}"


def test_translations_keep_their_placeholders() -> None:
    for msgid, msgstr in zh_catalog().items():
        assert set(re.findall(r"{\w+}", msgid)) == set(re.findall(r"{\w+}", msgstr)), msgid


def test_installed_language_answers_in_chinese() -> None:
    i18n.install("zh_CN")
    assert i18n._("Back") == "返回"
    assert i18n._("Home") == "首页"
    assert i18n._("not in the catalog") == "not in the catalog"


@pytest.mark.parametrize("font", [FONT_REGULAR, FONT_BOLD], ids=["regular", "bold"])
def test_bundled_font_has_every_catalog_and_demo_character(font: Path) -> None:
    with TTFont(str(font)) as ttf:
        cmap = ttf.getBestCmap()
    chars = catalog_and_demo_chars()
    assert len(chars) > 500
    missing = sorted(c for c in chars if ord(c) not in cmap)
    assert not missing, f"run scripts/make_font_subset.py; missing: {''.join(missing)}"


@pytest.mark.parametrize("font", [FONT_REGULAR, FONT_BOLD], ids=["regular", "bold"])
def test_bundled_font_covers_gb2312(font: Path) -> None:
    with TTFont(str(font)) as ttf:
        cmap = ttf.getBestCmap()
    hanzi = [
        bytes((hi, lo)).decode("gb2312")
        for hi in range(0xB0, 0xF8)
        for lo in range(0xA1, 0xFF)
        if not (hi == 0xD7 and lo > 0xF9)
    ]
    assert len(hanzi) == 6763
    assert all(ord(c) in cmap for c in hanzi)


def test_font_licence_is_bundled() -> None:
    text = (FONT_REGULAR.parent / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in text
    assert "Reserved Font Name" in text


def test_bundled_font_has_every_character_written_in_the_app_source() -> None:
    """Bullets, dashes and symbols typed into screens and widgets must render too."""
    with TTFont(str(FONT_REGULAR)) as ttf:
        cmap = ttf.getBestCmap()
    missing = {}
    for path in sorted([*KIOSK.rglob("*.py"), *KIOSK.rglob("*.kv")]):
        rel = path.relative_to(KIOSK)
        if rel.parts[0] not in ("app.py", "screens", "widgets", "rating"):
            continue
        for c in set(path.read_text(encoding="utf-8")):
            if ord(c) > 0x7F and ord(c) not in cmap:
                missing.setdefault(c, str(rel))
    assert not missing, missing
