"""The domain in plain Python: content model, tickets, queues, schedules, speech text.

Imported by the kiosk app, the sync client and the server. It must never import kivy,
fastapi, starlette, sqlalchemy or requests (an import contract in pyproject.toml enforces it).
"""
