"""API routes, one resource per module; ``kiosk.server.api.router.api_router`` collects
them under ``/api/v1`` (``phone_page`` is the resident's HTML page, mounted by the app)."""
