"""The Content-Security-Policy (and its companions) of every HTML page the server sends.

Added to every response under ``/admin`` (pages, redirects, error pages, static files)
and ``/t/`` (the resident's phone page) that does not set a policy of its own (uploaded
media set theirs: :data:`kiosk.server.media.MEDIA_CSP`). A second wall behind escaping:
even if markup got into a page, no inline script or style, no ``on*=`` handler, no
plugin, no foreign script, form target or frame parent would be obeyed.

The phone page's styles are one inline ``<style>`` block: it carries a per-response nonce
(``request.state.csp_nonce``), so no other inline style is obeyed.
"""

from __future__ import annotations

import secrets

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ADMIN_CSP", "SecurityHeaders", "phone_csp"]

ADMIN_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)


def phone_csp(nonce: str) -> str:
    return (
        f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self' data:; "
        "script-src 'self'; connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )


_COMMON = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


class SecurityHeaders:
    """ASGI middleware: the admin and phone-page headers above."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if path == "/admin" or path.startswith("/admin/"):
            policy = ADMIN_CSP
        elif path.startswith(("/t/", "/r/")):
            nonce = secrets.token_urlsafe(16)
            scope.setdefault("state", {})["csp_nonce"] = nonce
            policy = phone_csp(nonce)
        else:
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "content-security-policy" not in headers:
                    headers["content-security-policy"] = policy
                for name, value in _COMMON.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
