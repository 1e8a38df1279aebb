"""The kiosk's user-facing text: one gettext catalog per language, read from its ``.po``.

Every Chinese string the resident reads comes from ``kiosk/locale/<lang>/LC_MESSAGES/
kiosk.po``. The ``.po`` is compiled in memory at start, so no ``.mo`` file is committed
or needs a build step. Code and kv rules call :func:`_` with the English msgid.

The compiler here reads the ``.po`` subset our catalogs use (comments and flags, fuzzy
entries skipped, ``msgctxt``, plurals, continued lines, C escapes) and hands the
standard library's :class:`gettext.GNUTranslations` a ``.mo`` image. It used to be
Babel's ``read_po``/``write_mo``; Babel loads its CLDR locale data with it and stayed
resident for the life of the kiosk (7.8 MB and 80 modules, docs/PERFORMANCE.md). The
tests check this compiler against Babel's entry by entry, and Babel remains the tool
to extract and update catalogs (``dev`` extra).
"""

from __future__ import annotations

import ast
import gettext
import io
import struct
from pathlib import Path

__all__ = [
    "CATALOG_DIR",
    "DOMAIN",
    "N_",
    "CatalogError",
    "_",
    "catalog_path",
    "compile_po",
    "install",
    "ngettext",
    "read_po",
]

CATALOG_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "kiosk"

_translations: gettext.NullTranslations = gettext.NullTranslations()


class CatalogError(ValueError):
    """A ``.po`` file that cannot be read: names the file and line."""


def catalog_path(language: str) -> Path:
    """The ``.po`` file of ``language`` (``zh_CN``, ``en``)."""
    return CATALOG_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def _unquote(token: str, where: str) -> str:
    token = token.strip()
    if len(token) < 2 or token[0] != '"' or token[-1] != '"':
        raise CatalogError(f"{where}: expected a quoted string, got {token[:40]!r}")
    try:
        value = ast.literal_eval(token)
    except (SyntaxError, ValueError) as exc:
        raise CatalogError(f"{where}: bad string {token[:40]!r} ({exc})") from None
    if not isinstance(value, str):
        raise CatalogError(f"{where}: expected a string, got {token[:40]!r}")
    return value


def read_po(text: str, name: str = "<po>") -> dict[str, str]:
    """The translated messages of a ``.po`` text as gettext's ``.mo`` keys and values.

    Keys are the msgid (prefixed by msgctxt and a 0x04 byte when there is a context;
    msgid, a NUL and msgid_plural for plurals); values are the msgstr (plural forms
    joined by NULs). The header (empty msgid) is kept; fuzzy and untranslated entries
    are left out, as ``msgfmt`` does. Raises :class:`CatalogError` naming the line of
    anything it cannot read, and of a msgid given twice (Babel silently kept the first).
    """
    messages: dict[str, str] = {}
    seen: dict[str, int] = {}
    entry: dict[str, str] = {}  # keyword ("msgid", "msgstr[1]" …) → its text
    fuzzy = False
    field: str | None = None  # the keyword a continued line adds to, or "comment"
    start = 0

    def finish() -> None:
        nonlocal entry, fuzzy, field
        if "msgid" in entry:
            msgid = entry["msgid"]
            if "msgid_plural" in entry:
                msgid += "\x00" + entry["msgid_plural"]
                forms = sorted((int(k[7:-1]), v) for k, v in entry.items() if k[:7] == "msgstr[")
                msgstr = "\x00".join(v for _i, v in forms)
                translated = any(v for _i, v in forms)
            else:
                msgstr = entry.get("msgstr", "")
                translated = bool(msgstr)
            if "msgctxt" in entry:
                msgid = entry["msgctxt"] + "\x04" + msgid
            if msgid in seen:
                raise CatalogError(
                    f"{name}:{start}: msgid {msgid[:40]!r} is already at line {seen[msgid]}"
                )
            seen[msgid] = start
            if translated and (not fuzzy or not msgid):
                messages[msgid] = msgstr
        elif entry:
            raise CatalogError(f"{name}:{start}: an entry without msgid")
        entry, fuzzy, field = {}, False, None

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        where = f"{name}:{number}"
        if not line:
            continue
        if line.startswith("#"):
            if field not in (None, "comment"):
                finish()
            if line.startswith("#,") and "fuzzy" in line[2:].replace(",", " ").split():
                fuzzy = True
            if not entry:
                start = number
            field = "comment"
            continue
        if line.startswith('"'):
            if field in (None, "comment"):
                raise CatalogError(f"{where}: a continued string without a keyword")
            entry[field] += _unquote(line, where)
            continue
        keyword, _sep, rest = line.partition(" ")
        has_msgstr = any(k.startswith("msgstr") for k in entry)
        if keyword in ("msgctxt", "msgid") and (
            has_msgstr or (keyword == "msgctxt" and "msgid" in entry)
        ):
            finish()
        if not entry and field != "comment":
            start = number
        plural_form = keyword[:7] == "msgstr[" and keyword[-1:] == "]" and keyword[7:-1].isdigit()
        if keyword not in ("msgctxt", "msgid", "msgid_plural", "msgstr") and not plural_form:
            raise CatalogError(f"{where}: unknown keyword {keyword[:20]!r}")
        if keyword in entry:
            raise CatalogError(f"{where}: {keyword} twice in one entry")
        entry[keyword] = _unquote(rest, where)
        field = keyword
    finish()
    return messages


def compile_po(messages: dict[str, str]) -> bytes:
    """A GNU ``.mo`` image (little-endian, no hash table) of ``read_po``'s messages."""
    keys = sorted(messages)
    ids = [k.encode("utf-8") for k in keys]
    strs = [messages[k].encode("utf-8") for k in keys]
    count = len(keys)
    ids_at = 7 * 4
    strs_at = ids_at + count * 8
    data_at = strs_at + count * 8
    table: list[int] = []
    blob = io.BytesIO()
    for items in (ids, strs):
        for item in items:
            table += [len(item), data_at + blob.tell()]
            blob.write(item + b"\0")
    header = struct.pack("<7I", 0x950412DE, 0, count, ids_at, strs_at, 0, data_at)
    return header + struct.pack(f"<{len(table)}I", *table) + blob.getvalue()


def load(language: str) -> gettext.NullTranslations:
    """Translations for ``language`` compiled from its ``.po``; identity when there is none."""
    path = catalog_path(language)
    if not path.is_file():
        return gettext.NullTranslations()
    messages = read_po(path.read_text(encoding="utf-8"), str(path))
    return gettext.GNUTranslations(io.BytesIO(compile_po(messages)))


def install(language: str = "zh_CN") -> None:
    """Make ``language`` the kiosk's language; :func:`_` answers in it from now on."""
    global _translations
    _translations = load(language)


def _(message: str) -> str:
    """The current language's text for the English msgid ``message``."""
    return _translations.gettext(message)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog where it is defined; translate it where shown."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations.ngettext(singular, plural, n)


install("zh_CN")
