"""Tests of ``kiosk.sync``: pure pieces alone, the rest against the real server on loopback.

Hostile network peers (a corrupting proxy in front of the real server) live in
``hostile.py``; snapshot factories in ``snapshots.py``. Only these tests import them.
"""
