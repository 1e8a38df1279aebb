"""Refusals of the server's domain: a machine code and a Chinese message a person can read.

Domain modules (content publishing, the counter desk, …) raise these and know nothing of
HTTP. The API turns them into status codes in one place (:mod:`kiosk.server.errors`), the
admin into a page or a flash message in one place (:mod:`kiosk.server.admin.web`).
"""

from __future__ import annotations

__all__ = ["Conflict", "DomainError", "Forbidden", "Invalid", "NotFound", "TooMany"]


class DomainError(Exception):
    """A refusal: ``code`` for machines, ``message`` for people, ``field`` if one is to blame."""

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class NotFound(DomainError):
    """What was asked for does not exist (a hall, a window, a waiting ticket)."""


class Conflict(DomainError):
    """The request clashes with the current state (a ticket another window just took)."""


class Invalid(DomainError):
    """The request names something the state does not allow (a queue the hall lacks)."""


class Forbidden(DomainError):
    """The staff member may not touch this (another hall's window)."""


class TooMany(DomainError):
    """Too much too fast (a kiosk's rate or its day's allowance): try again after
    ``retry_after`` seconds."""

    def __init__(
        self, code: str, message: str, *, retry_after: int, field: str | None = None
    ) -> None:
        super().__init__(code, message, field=field)
        self.retry_after = retry_after
