"""The domain in plain Python: content model, tickets, queues, schedules, speech text,
the working-day calendar (workdays) and the rules of requests (request_*,
service_requests), ratings and home visits (docs/SERVICE_TRACKING.md), and what a
resident's register entry may hold (residents: phone, year of birth, address).

Imported by the kiosk app, the sync client and the server. It must never import kivy,
fastapi, starlette, sqlalchemy or requests (an import contract in pyproject.toml enforces it).
"""
