"""The FastAPI application: :func:`create_app` for a given settings object, and
:func:`app_from_environment` (the uvicorn factory the CLI uses, also for ``--workers``).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import FrameType

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi_offline import FastAPIOffline

import kiosk
from kiosk.core.sdnotify import Notifier, watchdog_interval
from kiosk.server.api.router import api_router
from kiosk.server.errors import BodySizeLimit, install_error_handlers
from kiosk.server.hot_paths import HotPaths
from kiosk.server.runtime import ServerRuntime
from kiosk.server.security_headers import SecurityHeaders
from kiosk.server.settings import ServerSettings, build_settings

__all__ = ["app_from_environment", "create_app"]


def create_app(settings: ServerSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = ServerRuntime(settings)
        await runtime.start()
        app.state.runtime = runtime
        restore_signals = _also_on_stop_signals(runtime.closing)
        systemd = Notifier()
        systemd.ready(f"serving {settings.base_url}")
        watchdog = _feed_watchdog(systemd)
        try:
            yield
        finally:
            systemd.stopping()
            if watchdog is not None:
                watchdog.cancel()
            restore_signals()
            await runtime.stop()
            systemd.close()

    # /docs with Swagger UI served from the installed package (fastapi-offline ships its
    # files), so the API docs work in a hall with no internet; no CDN.
    app = FastAPIOffline(
        title="居民之家 · Residents' Home hall server",
        version=kiosk.__version__,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
        static_url="/docs-static",
    )
    app.state.settings = settings

    @app.get("/", include_in_schema=False)
    async def front_door() -> RedirectResponse:
        """A browser at the server's address lands on the admin web (its login)."""
        return RedirectResponse("/admin/", status_code=303)

    install_error_handlers(app)
    app.include_router(api_router)
    from kiosk.server.api.routes import phone_page, phone_rating, request_page, request_page_photos

    app.include_router(phone_page.router)
    app.include_router(phone_rating.router)
    app.include_router(request_page.router)
    app.include_router(request_page_photos.router)  # a request's public photos
    from kiosk.server.admin import mount_admin

    mount_admin(app)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    if settings.fast_paths:
        app.add_middleware(HotPaths, fastapi_app=app)  # outermost: see hot_paths.py
    return app


def _feed_watchdog(systemd: Notifier) -> asyncio.Task[None] | None:
    """Ping systemd's watchdog from the event loop: a loop that hangs stops the pings and
    systemd restarts the server (``WatchdogSec=`` in deploy/server/kiosk-server.service)."""
    interval = watchdog_interval(check_pid=False)
    if not systemd.enabled or interval is None:
        return None

    async def feed() -> None:
        while True:
            systemd.watchdog()
            await asyncio.sleep(interval)

    return asyncio.create_task(feed(), name="systemd-watchdog")


def _also_on_stop_signals(callback: Callable[[], None]) -> Callable[[], None]:
    """Run ``callback`` on the event loop as soon as SIGTERM/SIGINT arrives, then hand the
    signal on to the handler already installed (uvicorn's); returns the undo.

    Uvicorn sends the lifespan shutdown only *after* open requests have finished (or were
    cancelled at its graceful-shutdown limit, answering 500), so held long-polls must be
    woken at the signal itself. Outside the main thread (e.g. an in-process test client)
    signals cannot be handled and nothing is installed.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    installed: dict[signal.Signals, tuple[object, object]] = {}
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(sig)
        if not callable(previous):
            continue  # not under uvicorn (default or ignored): leave the signal alone

        def handler(
            signum: int,
            frame: FrameType | None,
            previous: Callable[[int, FrameType | None], object] = previous,
        ) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                loop.call_soon_threadsafe(callback)
            previous(signum, frame)

        signal.signal(sig, handler)
        installed[sig] = (handler, previous)

    def restore() -> None:
        for sig, (handler, previous) in installed.items():
            if signal.getsignal(sig) is handler:
                signal.signal(sig, previous)  # type: ignore[arg-type]

    return restore


def app_from_environment() -> FastAPI:
    """Settings from ``$KIOSK_SERVER_CONFIG`` and ``KIOSK_SERVER_*`` (uvicorn factory)."""
    return create_app(build_settings())
