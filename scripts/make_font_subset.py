"""Make the kiosk's bundled font: a Simplified-Chinese subset of Noto Sans CJK SC.

The subset holds all of GB 2312 (6,763 hanzi and its symbols, enumerated with Python's
``gb2312`` codec), printable ASCII and Latin-1, and every character of the kiosk's text
catalogs and of the demo content. Run it again when the catalog or the demo data gains a
character outside GB 2312 (``tests/app/test_font.py`` fails until you do)::

    .venv/bin/python scripts/make_font_subset.py

Reads the Debian package ``fonts-noto-cjk`` (the SC face of the TTC collections) and
writes ``kiosk/assets/fonts/NotoSansSC-Subset-{Regular,Bold}.otf`` and ``OFL.txt``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

ROOT = Path(__file__).resolve().parents[1]

SOURCES = {
    "Regular": Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    "Bold": Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
}
LICENCE_SOURCE = Path("/usr/share/doc/fonts-noto-cjk/copyright")
OUT_DIR = ROOT / "kiosk" / "assets" / "fonts"
FACE_NAME = "Noto Sans CJK SC"


def gb2312_chars() -> set[str]:
    """Every character GB 2312 encodes (rows 0xA1–0xF7, cells 0xA1–0xFE)."""
    chars = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def wanted_chars() -> set[str]:
    from kiosk.assets import catalog_and_demo_chars

    chars = gb2312_chars()
    chars |= {chr(c) for c in range(0x20, 0x7F)}
    chars |= {chr(c) for c in range(0xA0, 0x100)}
    chars |= set("·—–…‘’“”、。，：；！？（）【】《》〈〉「」『』〔〕￥℃№×÷±≤≥→←↑↓●○■□▲△★☆◆◇※")
    chars |= catalog_and_demo_chars()
    return {c for c in chars if c.isprintable() or c == " "}


def sc_face(path: Path):  # type: ignore[no-untyped-def]
    for font in TTCollection(str(path)).fonts:
        if font["name"].getDebugName(1) == FACE_NAME:
            return font
    raise SystemExit(f"{path} has no face named {FACE_NAME!r}")


def write_licence() -> None:
    text = LICENCE_SOURCE.read_text(encoding="utf-8")
    start = text.index(" SIL OPEN FONT LICENSE Version 1.1")
    body = text[start:].split("\nLicense: ", 1)[0]
    lines = []
    for line in body.splitlines():
        line = line[1:] if line.startswith(" ") else line
        lines.append("" if line == "." else line)
    header = (
        "Noto Sans CJK SC (subset bundled with the 居民之家 kiosk as\n"
        "NotoSansSC-Subset-Regular.otf and NotoSansSC-Subset-Bold.otf)\n"
        "Copyright 2014-2021 Adobe (http://www.adobe.com/), with Reserved Font Name 'Source'.\n"
        "Source: https://github.com/googlefonts/noto-cjk (Debian package fonts-noto-cjk)\n"
        "This Font Software is licensed under the SIL Open Font License, Version 1.1.\n"
        "This license is copied below, and is also available with a FAQ at:\n"
        "https://openfontlicense.org\n\n"
    )
    (OUT_DIR / "OFL.txt").write_text(header + "\n".join(lines).strip() + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    chars = wanted_chars()
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False
    options.desubroutinize = False
    for weight, source in SOURCES.items():
        font = sc_face(source)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[ord(c) for c in chars])
        subsetter.subset(font)
        out = OUT_DIR / f"NotoSansSC-Subset-{weight}.otf"
        font.save(str(out))
        cmap = font.getBestCmap()
        missing = sorted(c for c in chars if ord(c) not in cmap and not c.isspace())
        print(f"{out.relative_to(ROOT)}: {out.stat().st_size // 1024} KiB, {len(cmap)} chars")
        if missing:
            print(f"  not in {FACE_NAME}: {''.join(missing)!r}")
    write_licence()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
