"""The kiosk's client side of the wire: HTTP client, content cache, outbox, events.

Imports ``kiosk.core`` and requests; never kivy (a test enforces it).
"""
