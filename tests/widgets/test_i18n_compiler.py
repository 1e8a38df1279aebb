"""The kiosk compiles its ``.po`` catalogs itself (kiosk.i18n): the same translations as
Babel's reader, the gettext features a catalog may use, and clear errors for bad files."""

from __future__ import annotations

import gettext
import io
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po as babel_read_po

from kiosk import i18n

CATALOGS = sorted(i18n.CATALOG_DIR.glob(f"*/LC_MESSAGES/{i18n.DOMAIN}.po"))


def compiled(text: str) -> gettext.GNUTranslations:
    return gettext.GNUTranslations(io.BytesIO(i18n.compile_po(i18n.read_po(text))))


@pytest.mark.parametrize("path", CATALOGS, ids=[p.parts[-3] for p in CATALOGS])
def test_every_catalog_translates_as_babel_reads_it(path: Path) -> None:
    with path.open("rb") as fh:
        reference = babel_read_po(fh)
    ours = compiled(path.read_text(encoding="utf-8"))
    checked = 0
    for message in reference:
        if not message.id or message.fuzzy or not message.string:
            continue
        if isinstance(message.id, tuple):
            for n in (1, 2, 5):
                assert (
                    ours.ngettext(message.id[0], message.id[1], n)
                    == (message.string[reference.plural_func(n)])
                )
        elif message.context:
            assert ours.pgettext(message.context, message.id) == message.string
        else:
            assert ours.gettext(message.id) == message.string, message.id
        checked += 1
    assert checked == len([m for m in reference if m.id and m.string and not m.fuzzy])
    assert checked > 100
    assert ours.info()["plural-forms"] == reference.plural_forms


SAMPLE = r"""# a comment
msgid ""
msgstr ""
"Language: en\n"
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"

#: kiosk/app.py:1
msgid "Back"
msgstr "Go back"

msgid ""
"Two "
"lines"
msgstr "Line one\n"
"line \"two\"\t\\ end"

#, fuzzy
msgid "Unsure"
msgstr "Guessed"

msgid "Not yet"
msgstr ""

msgctxt "button"
msgid "Open"
msgstr "Open it"

msgid "{n} person"
msgid_plural "{n} people"
msgstr[0] "{n} resident"
msgstr[1] "{n} residents"
"""


def test_the_gettext_features_a_catalog_may_use() -> None:
    t = compiled(SAMPLE)
    assert t.gettext("Back") == "Go back"
    assert t.gettext("Two lines") == 'Line one\nline "two"\t\\ end'
    assert t.gettext("Unsure") == "Unsure"  # fuzzy: not used, as msgfmt does
    assert t.gettext("Not yet") == "Not yet"  # untranslated falls back to the msgid
    assert t.pgettext("button", "Open") == "Open it"
    assert t.gettext("Open") == "Open"
    assert t.ngettext("{n} person", "{n} people", 1) == "{n} resident"
    assert t.ngettext("{n} person", "{n} people", 3) == "{n} residents"
    assert t.info()["language"] == "en"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            'msgid "a"\nmsgstr "x"\n\nmsgid "a"\nmsgstr "y"\n',
            "<po>:4: msgid 'a' is already at line 1",
        ),
        ('msgid "a"\nmsgstr "x\\"\n', "<po>:2: bad string"),
        ('msgid "a"\nmsgstr "x\n', "<po>:2: expected a quoted string"),
        ('msgid "a"\nmsgstr x\n', "<po>:2: expected a quoted string"),
        ('msgid "a"\nmsgsrt "x"\n', "<po>:2: unknown keyword 'msgsrt'"),
        ('# c\n"orphan"\n', "<po>:2: a continued string without a keyword"),
        ('msgid "a"\nmsgid_plural "b"\nmsgstr[0] "x"\nmsgstr[0] "y"\n', "<po>:4: msgstr[0] twice"),
        ('msgstr "x"\n', "<po>:1: an entry without msgid"),
    ],
    ids=[
        "duplicate",
        "bad escape",
        "unclosed",
        "unquoted",
        "typo",
        "orphan",
        "plural twice",
        "no msgid",
    ],
)
def test_a_bad_catalog_is_refused_with_its_line(text: str, says: str) -> None:
    with pytest.raises(i18n.CatalogError) as caught:
        i18n.read_po(text)
    assert str(caught.value).startswith(says), str(caught.value)


def test_the_kiosk_reads_its_catalog_without_babel() -> None:
    """Babel stays out of the running kiosk (it held 7.8 MB of CLDR data and modules)."""
    code = (
        "import sys, kiosk.i18n as i; assert i._('Back') == '返回'; print('babel' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
