"""The HTTP API: ``deps.py`` (what a route needs) and ``routes/`` (one resource each)."""
