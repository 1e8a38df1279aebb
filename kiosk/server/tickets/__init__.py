"""Issuing tickets (with idempotency and group commit) and what a resident sees of one.

``POST /tickets`` requests are queued to one :class:`IssueWriter` per process which runs
whatever has piled up in a single transaction on the writer thread, commits once, then
answers all of them: a 201 is only ever sent after the commit that contains its ticket.
Under load that turns N fsyncs into one.

The rooms: ``sql`` (the hot path's statements, built once), ``rows`` (the one typed
ticket row and its builder), ``reads`` (:class:`TicketView`, the wire view with its
cache), ``issue`` (one ticket, the careful way), ``bulk`` (a batch in a handful of
statements), ``writer`` (the group commit). Server code imports the names below.
"""

from kiosk.server.tickets.bulk import issue_many
from kiosk.server.tickets.issue import IssueRequest, IssueResult, issue_one, request_hash
from kiosk.server.tickets.reads import TicketView
from kiosk.server.tickets.rows import TicketRow, new_ticket_row
from kiosk.server.tickets.writer import IssueWriter

__all__ = [
    "IssueRequest",
    "IssueResult",
    "IssueWriter",
    "TicketRow",
    "TicketView",
    "issue_many",
    "issue_one",
    "new_ticket_row",
    "request_hash",
]
