"""The FastAPI application: :func:`create_app` for a given settings object, and
:func:`app_from_environment` (the uvicorn factory the CLI uses, also for ``--workers``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

import kiosk
from kiosk.server.api.router import api_router
from kiosk.server.errors import BodySizeLimit, install_error_handlers
from kiosk.server.hot_paths import HotPaths
from kiosk.server.runtime import ServerRuntime
from kiosk.server.settings import ServerSettings, build_settings

__all__ = ["app_from_environment", "create_app"]


def create_app(settings: ServerSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = ServerRuntime(settings)
        await runtime.start()
        app.state.runtime = runtime
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="居民之家 · Residents' Home hall server",
        version=kiosk.__version__,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.include_router(api_router)
    from kiosk.server.api.routes import phone_page

    app.include_router(phone_page.router)
    from kiosk.server.admin import mount_admin

    mount_admin(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(HotPaths, fastapi_app=app)  # outermost: see hot_paths.py
    return app


def app_from_environment() -> FastAPI:
    """Settings from ``$KIOSK_SERVER_CONFIG`` and ``KIOSK_SERVER_*`` (uvicorn factory)."""
    return create_app(build_settings())
