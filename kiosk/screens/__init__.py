"""The kiosk's screens, one module per screen with its kv rule beside it.

Each screen gets its collaborators handed in (``host``: content, media, clock and
navigation) and is loaded by :mod:`kiosk.app` the first time it is needed. Only the Kivy
app imports this package.
"""
