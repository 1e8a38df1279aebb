"""API routes, one resource per module, collected by ``kiosk.server.api.routes.api_router``."""
