"""Reusable Kivy widgets of the kiosk: text, buttons, tiles, status bar, flowchart, cards.

Each module loads its kv rule from the file beside it when imported. Only the Kivy app
(``kiosk.app``, ``kiosk.screens``) imports this package.
"""
