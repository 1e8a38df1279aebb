"""居民之家 · Residents' Home: the hall kiosk and the central server behind it.

Sub-packages: ``core`` (pure domain, imported by both halves), ``sync`` (the kiosk's
client side of the wire), ``server`` (the central FastAPI server), and the Kivy app.
"""

__version__ = "0.1.0"
