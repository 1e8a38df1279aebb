"""Kivy label markup as plain text: the one way back from escaped markup.

Server-supplied text is escaped before it reaches a markup label
(``kiosk.widgets.text.safe``, Kivy's ``escape_markup``: ``&`` -> ``&amp;``, ``[`` ->
``&bl;``, ``]`` -> ``&br;``). What is read aloud or printed is the text itself, so it is
turned back here, once. Pure text: no kivy import, so the speech and receipt code and
their tests can use it anywhere.
"""

from __future__ import annotations

import re

__all__ = ["strip_markup", "unescape_markup"]

_TAG = re.compile(r"\[/?[a-z_]+(?:=[^\]]*)?\]")


def unescape_markup(text: str) -> str:
    """``text`` with Kivy's markup entities back to characters: ``&bl;b&br;`` -> ``[b]``.

    ``&amp;`` goes last, so an escaped ``&bl;`` (``&amp;bl;``) comes back as ``&bl;``."""
    return text.replace("&bl;", "[").replace("&br;", "]").replace("&amp;", "&")


def strip_markup(text: str) -> str:
    """A label's markup text as the resident reads it: tags (``[b]``, ``[color=…]``)
    dropped, entities back to characters (:func:`unescape_markup`)."""
    return unescape_markup(_TAG.sub("", text))
