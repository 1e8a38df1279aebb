"""The kiosk's user-facing text: one gettext catalog per language, read from its ``.po``.

Every Chinese string the resident reads comes from ``kiosk/locale/<lang>/LC_MESSAGES/
kiosk.po``. The ``.po`` is compiled in memory at start (Babel), so no ``.mo`` file is
committed or needs a build step. Code and kv rules call :func:`_` with the English msgid.
"""

from __future__ import annotations

import gettext
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

__all__ = ["CATALOG_DIR", "DOMAIN", "N_", "_", "catalog_path", "install", "ngettext"]

CATALOG_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "kiosk"

_translations: gettext.NullTranslations = gettext.NullTranslations()


def catalog_path(language: str) -> Path:
    """The ``.po`` file of ``language`` (``zh_CN``, ``en``)."""
    return CATALOG_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def load(language: str) -> gettext.NullTranslations:
    """Translations for ``language`` compiled from its ``.po``; identity when there is none."""
    path = catalog_path(language)
    if not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


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
