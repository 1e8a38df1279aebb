"""``GET /health``: the server is up, which database it uses, and whether it can store.

``200`` with ``status: ok``; ``503`` with ``status: degraded`` and the ``problems`` (a
write failed for lack of room and none has committed since, the SQLite file's disk is
nearly full, or the database cannot be read), so a monitor sees what is wrong.

``GET /ready``: this process can serve: its database answers and its event fan-out is
current (a load balancer or systemd health check sends traffic only to a ready worker).
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse

import kiosk
from kiosk.core.wire import ErrorBody, HealthPublic
from kiosk.server.api.deps import Runtime
from kiosk.server.db import ping, utcnow

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
        tickets=runtime.handoff.role if runtime.handoff is not None else None,
    )
    return JSONResponse(
        report.model_dump(mode="json", exclude_none=True),
        status_code=503 if found else 200,
        headers={"Cache-Control": "no-store"},
    )


#: How long ``/ready`` waits for the database before it calls it unavailable.
READY_DB_TIMEOUT = 3.0


@router.get("/ready", responses={503: {"description": "not ready: the error says why"}})
async def ready(runtime: Runtime) -> JSONResponse:
    problems: dict[str, str] = {}
    try:
        await asyncio.wait_for(runtime.db.read(ping), READY_DB_TIMEOUT)
    except TimeoutError:
        problems["database"] = f"数据库 {READY_DB_TIMEOUT:.0f} 秒内没有应答"
    except Exception as exc:  # any driver error: not ready, and say which
        problems["database"] = f"数据库不可用：{type(exc).__name__}: {str(exc)[:200]}"
    fan_out = runtime.hub.fan_out_problem()
    if fan_out:
        problems["events"] = fan_out
    checks = {
        "database": problems.get("database", "ok"),
        "events": problems.get("events", "ok"),
    }
    if runtime.db.kind == "postgresql":
        checks["listen_notify"] = "ok" if runtime.hub.listening else "重连中（定期扫描照常）"
    if problems:
        message = "；".join(problems.values())
        return JSONResponse(
            {"error": {"code": "not_ready", "message": message}, "checks": checks},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    return JSONResponse({"status": "ready", "checks": checks})
