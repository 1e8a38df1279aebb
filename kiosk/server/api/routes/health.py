"""``GET /health``: the server is up and which database it uses."""

from __future__ import annotations

from fastapi import APIRouter

import kiosk
from kiosk.core.wire import HealthPublic
from kiosk.server.api.deps import Runtime
from kiosk.server.db import utcnow

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthPublic)
async def health(runtime: Runtime) -> HealthPublic:
    return HealthPublic(
        status="ok", version=kiosk.__version__, database=runtime.db.kind, time=utcnow()
    )
