"""The kiosk's client side of the wire: HTTP client, on-disk content cache, event long-poll.

``client`` (HallClient: requests, bearer token, typed errors), ``store`` (ContentStore:
last good snapshot and media, atomic swap), ``service`` (ContentSync: background threads
keeping the store fresh, heartbeat), ``backoff`` (pure retry schedule), ``errors``.
The ticket outbox will live here too.

Imported by the kiosk app (and its tests). Imports ``kiosk.core`` and requests; never
kivy (a test enforces it), never the server.
"""
