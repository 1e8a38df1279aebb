"""Harness shared by the tests, bench/ and scripts/: not part of the product.

``servers`` starts a real ``kiosk-server`` on loopback, ``postgres`` a private PostgreSQL,
``browser`` holds how Chromium is started, ``kiosk_driver`` runs the real kiosk app in this
process and presses its widgets. Installed with the editable install (``make``) so a bench
or script imports it without touching ``sys.path``; ``kiosk`` never imports it (an import
contract in pyproject.toml).
"""
