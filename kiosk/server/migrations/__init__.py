"""Alembic migrations of the server database (run by ``kiosk-server migrate``)."""
