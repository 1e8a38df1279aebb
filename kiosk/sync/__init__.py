"""The kiosk's client side of the wire: HTTP client, content cache, event long-poll, tickets.

``client`` (HallClient: requests, bearer token, typed errors), ``errors``; content:
``store`` (ContentStore: last good snapshot and media, atomic swap, with ``durable``
writes), ``service`` (ContentSync: keeps the store fresh, heartbeat), ``events``
(EventFollower: the event long-poll, its position in ``cursor``), ``status``
(SyncStatus: what the status bar and maintenance screen show); tickets: ``outbox``
(TicketOutbox: numbers and tickets, durable, no network), ``outbox_file`` (its SQLite
file), ``ticket`` (KioskTicket and its wire form), ``courier`` (TicketCourier: delivery
and leases); the hall display's ``waiting`` counts; and the machinery they share:
``loop`` (BackgroundLoop: one named daemon thread each) and ``backoff`` (pure retry
schedule).

Imported by the kiosk app (``kiosk.feed``, ``kiosk.desk``), the hall display and their
tests. Imports ``kiosk.core`` and requests; never kivy (a test enforces it), never the
server.
"""
