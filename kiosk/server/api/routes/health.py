"""``GET /health``: the server is up, which database it uses, and whether it can store.

``200`` with ``status: ok``; ``503`` with ``status: degraded`` and the ``problems`` (a
write failed for lack of room and none has committed since, the SQLite file's disk is
nearly full, or the database cannot be read), so a monitor sees what is wrong.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse

import kiosk
from kiosk.core.wire import ErrorBody, HealthPublic
from kiosk.server.api.deps import Runtime
from kiosk.server.db import utcnow

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=HealthPublic,
    responses={503: {"model": HealthPublic, "description": "degraded: see problems"}},
)
async def health(runtime: Runtime) -> JSONResponse:
    found = await asyncio.to_thread(runtime.db.storage_check)
    report = HealthPublic(
        status="degraded" if found else "ok",
        version=kiosk.__version__,
        database=runtime.db.kind,
        time=utcnow(),
        problems=[ErrorBody(code=code, message=message) for code, message in found],
    )
    return JSONResponse(
        report.model_dump(mode="json", exclude_none=True),
        status_code=503 if found else 200,
        headers={"Cache-Control": "no-store"},
    )
