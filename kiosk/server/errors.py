"""Every 4xx answer is ``{"error": {"code", "message", "field"?}}`` — the handlers live here.

Routes raise :class:`ApiError`; the domain raises :class:`~kiosk.server.domain_errors.DomainError`,
given its HTTP status here and nowhere else (:func:`api_error`). FastAPI's own validation
errors, unknown routes (404), wrong methods (405) and oversized bodies (413) are turned
into the same shape.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kiosk.core.validation_messages import error_message, field_path
from kiosk.server.db import storage_problem
from kiosk.server.domain_errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    TooMany,
)

__all__ = [
    "ApiError",
    "BodySizeLimit",
    "api_error",
    "error_body",
    "install_error_handlers",
    "storage_error",
]

log = logging.getLogger(__name__)


class ApiError(Exception):
    """A refusal with an HTTP status, a machine code and a message a person can read."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message, self.field)


#: The HTTP status of each kind of domain refusal: the one translation, used by the API.
_DOMAIN_STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    Forbidden: 403,
    Conflict: 409,
    TooMany: 429,
    Invalid: 422,
}


def api_error(exc: DomainError) -> ApiError:
    """The API's answer to a refusal of the domain."""
    status = next((s for kind, s in _DOMAIN_STATUS.items() if isinstance(exc, kind)), 422)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooMany) else None
    return ApiError(status, exc.code, exc.message, field=exc.field, headers=headers)


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    inner: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        inner["field"] = field
    return {"error": inner}


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if not errors:
        return JSONResponse(error_body("invalid_request", "请求有误"), status_code=422)
    first = errors[0]
    field = field_path(first.get("loc", ()), request=True)
    reason = error_message(first)
    if first.get("type") == "json_invalid":
        field = "body"
    more = f"（另有 {len(errors) - 1} 处）" if len(errors) > 1 else ""
    message = f"{field}：{reason}{more}"
    return JSONResponse(error_body("invalid_request", message, field), status_code=422)


#: FastAPI's ``detail`` when a JSON body cannot be decoded at all (e.g. not UTF-8).
_UNPARSABLE_BODY = "There was an error parsing the body"

_HTTP_CODES = {
    400: ("bad_request", "请求有误"),
    401: ("unauthorized", "需要登录或有效的令牌"),
    403: ("forbidden", "没有权限"),
    404: ("not_found", "找不到这个地址"),
    405: ("method_not_allowed", "不支持这种请求方法"),
    413: ("payload_too_large", "请求内容太大"),
    415: ("unsupported_media_type", "不支持的内容类型"),
}


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _allowed_methods(request: Request) -> set[str]:
    """Every method the API documents for this path.

    Starlette's 405 names only the methods of the first route that matched the path, so
    ``DELETE /halls/x/content`` said ``Allow: GET`` although PUT is there too. The
    OpenAPI document (built once, cached by FastAPI) knows all of them.
    """
    allowed: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, request.url.path):
            allowed |= {method.upper() for method in operations} & _METHODS
    if "GET" in allowed:
        allowed.add("HEAD")
    return allowed


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405 and (allowed := _allowed_methods(request)):
        named = {m.strip() for m in headers.get("Allow", "").split(",") if m.strip()}
        headers["Allow"] = ", ".join(sorted(allowed | named))
    if exc.status_code == 400 and exc.detail == _UNPARSABLE_BODY:
        # FastAPI's answer to a JSON body that is not even text (bytes that are not UTF-8):
        # the same 422 as any other body that is not valid JSON.
        return JSONResponse(
            error_body("invalid_request", "body：不是有效的 JSON（须为 UTF-8 文本）", "body"),
            status_code=422,
        )
    code, message = _HTTP_CODES.get(exc.status_code, ("http_error", "请求有误"))
    if isinstance(exc.detail, str) and exc.status_code not in _HTTP_CODES:
        message = exc.detail
    return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=headers)


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)


async def _domain_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    found = api_error(exc)
    return JSONResponse(found.body(), status_code=found.status, headers=found.headers)


async def _database_refused(_request: Request, exc: Exception) -> JSONResponse:
    # Last line of defence: input the validators let through but the database refuses
    # (a NUL character for PostgreSQL, a number out of a column's range), or a unique
    # constraint that lost a race. Nothing was written: the transaction rolled back.
    if isinstance(exc, IntegrityError):
        body = error_body("conflict", "数据刚被其他请求修改，请重试")
        return JSONResponse(body, status_code=409)
    return JSONResponse(
        error_body("invalid_request", "请求中的数据无法保存（格式或范围不对）"), 422
    )


_STORAGE_MESSAGES = {
    "storage_full": "服务器存储空间已满，这次的数据没有保存。请联系管理员清理磁盘后重试",
    "database_unavailable": "服务器的数据库暂时无法使用，这次的数据没有保存，请稍后重试",
}


def storage_error(exc: BaseException) -> ApiError | None:
    """The 503 for a failure of the storage (full disk, database gone), else None.

    Nothing was written (the transaction rolled back); ``Retry-After`` tells a kiosk's
    courier to try again later rather than at once.
    """
    problem = storage_problem(exc)
    if problem is None:
        return None
    return ApiError(503, problem, _STORAGE_MESSAGES[problem], headers={"Retry-After": "30"})


async def _storage_failed(_request: Request, exc: Exception) -> JSONResponse:
    found = storage_error(exc)
    if found is None:  # an operational error storage_problem does not know: still 503
        found = ApiError(503, "database_unavailable", _STORAGE_MESSAGES["database_unavailable"])
    log.warning("answered %s: %s", found.code, exc)
    return JSONResponse(found.body(), status_code=found.status, headers=found.headers)


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    # Starlette calls this for anything no other handler took, answers with it, then
    # re-raises so the traceback is logged. Still the one JSON shape, never plain text.
    found = storage_error(exc)
    if found is not None:
        return JSONResponse(found.body(), status_code=found.status, headers=found.headers)
    return JSONResponse(
        error_body("internal_error", "服务器内部出错，已记入日志，请稍后重试"), status_code=500
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(OperationalError, _storage_failed)
    app.add_exception_handler(Exception, _unexpected)
    app.add_exception_handler(DataError, _database_refused)
    app.add_exception_handler(IntegrityError, _database_refused)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)


class _TooLarge(HTTPException):
    """Raised while a body streams in; an HTTPException so FastAPI passes it through."""

    def __init__(self) -> None:
        super().__init__(status_code=413)


class BodySizeLimit:
    """ASGI middleware: bodies over ``max_bytes`` get 413, by header or as they stream."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _send_error(send, 400, "bad_request", "Content-Length 不正确")
                    return
                if declared > self.max_bytes:
                    await _send_error(send, 413, "payload_too_large", self._message())
                    return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _send_error(send, 413, "payload_too_large", self._message())

    def _message(self) -> str:
        return f"请求内容太大（上限 {self.max_bytes} 字节）"


async def _send_error(send: Send, status: int, code: str, message: str) -> None:
    import json

    body = json.dumps(error_body(code, message), ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
