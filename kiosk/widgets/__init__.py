"""Reusable Kivy widgets of the kiosk: text, buttons, tiles, cards, status bar, the "now
calling" strip, the idle warning, flowchart, room timeline, staff cards, icons, QR codes.

Each module with a kv file loads its rule from the file beside it when imported
(:func:`kiosk.widgets.kv.load_kv_beside`). Imported by the Kivy front ends only: the
kiosk app (``kiosk.app``, ``kiosk.screens``) and the hall display (``kiosk.display``).
Imports kivy, ``kiosk.core``, ``kiosk.theme`` and ``kiosk.i18n``; never ``kiosk.sync`` or the
server.
"""
