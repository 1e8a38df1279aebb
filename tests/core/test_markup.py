"""The way back from escaped Kivy markup to the text a resident hears or gets printed."""

from __future__ import annotations

from kiosk.core.markup import strip_markup, unescape_markup


def test_unescape_turns_kivys_entities_back() -> None:
    assert unescape_markup("&bl;b&br; &amp; 办事") == "[b] & 办事"
    # An escaped entity comes back as the entity's text, not as the bracket.
    assert unescape_markup("&amp;bl;") == "&bl;"


def test_strip_drops_tags_and_keeps_escaped_brackets() -> None:
    assert strip_markup("[b]取号[/b] [color=ff0000]&bl;A012&br;[/color]") == "取号 [A012]"
