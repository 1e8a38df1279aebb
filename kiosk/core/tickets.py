"""Ticket numbers, the service day, and what a window may do to a ticket.

A ticket number is its queue's letter and a three-digit sequence that restarts at 001
every service day (``A012``). A kiosk that is offline and has used up its leased block
of numbers falls back to its own series, which carries the kiosk's number so it can never
clash with another kiosk or with the server (``A2-001``: kiosk 2, first fallback ticket).

The life of a ticket is a small state machine (:func:`next_state`)::

    waiting --call--> called --start--> serving --complete--> done
                        |  \\--complete-----------------------^
                        |--no_show--> no_show
    waiting|called --cancel--> cancelled
    called --recall--> called
    waiting|called|serving --transfer--> waiting (in another queue)

Anything else raises :class:`TransitionError`, whose message a staff member can read.
A window that calls the next resident finishes its current ticket first: ``complete``
when serving, ``no_show`` when only called (the resident never came; never "served").

Every ticket has an unguessable public id (:func:`new_public_id`, minted by the kiosk
when it is taken, or by the server) naming its phone page (:func:`ticket_url`).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from kiosk.core.clock import hall_zone
from kiosk.core.wire import TicketState

__all__ = [
    "FINAL_STATES",
    "Action",
    "ParsedNumber",
    "TransitionError",
    "allowed_actions",
    "fallback_number",
    "format_number",
    "hall_zone",
    "is_final",
    "new_public_id",
    "next_state",
    "parse_number",
    "service_day",
    "ticket_url",
]

_PREFIX = re.compile(r"^[A-Z]$")
_NUMBER = re.compile(r"^([A-Z])(?:([1-9][0-9]?)-)?([0-9]{3})$")


#: Random bytes in a ticket's public id (its phone page address): 128 bits.
PUBLIC_ID_BYTES = 16


def new_public_id() -> str:
    """A fresh unguessable public id for a ticket (22 URL-safe characters, 128 random bits).

    The one generator: the kiosk mints it when the ticket is taken (so the QR code of the
    phone page is known at once, offline too) and the server mints it for a ticket that
    comes without one, or whose id is already another ticket's.
    """
    return secrets.token_urlsafe(PUBLIC_ID_BYTES)


def ticket_url(base_url: str, public_id: str) -> str:
    """The resident's phone page of a ticket on the server's public address ``base_url``."""
    return f"{base_url.rstrip('/')}/t/{public_id}"


def _check_prefix(prefix: str) -> None:
    if not isinstance(prefix, str) or not _PREFIX.match(prefix):
        raise ValueError(f"队列字母应为一个大写字母 A–Z，而不是 {prefix!r}")


def _check_seq(seq: int) -> None:
    if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= 999:
        raise ValueError(f"序号应在 1–999 之间，而不是 {seq!r}")


def format_number(prefix: str, seq: int) -> str:
    """The ticket number a resident sees: ``format_number("A", 12) == "A012"``."""
    _check_prefix(prefix)
    _check_seq(seq)
    return f"{prefix}{seq:03d}"


def fallback_number(prefix: str, kiosk_no: int, seq: int) -> str:
    """A number from kiosk ``kiosk_no``'s own offline series: ``("A", 2, 1) -> "A2-001"``."""
    _check_prefix(prefix)
    if isinstance(kiosk_no, bool) or not isinstance(kiosk_no, int) or not 1 <= kiosk_no <= 99:
        raise ValueError(f"自助机编号应在 1–99 之间，而不是 {kiosk_no!r}")
    _check_seq(seq)
    return f"{prefix}{kiosk_no}-{seq:03d}"


@dataclass(frozen=True, slots=True)
class ParsedNumber:
    """The parts of a ticket number; ``kiosk_no`` is set only for a fallback number."""

    prefix: str
    kiosk_no: int | None
    seq: int

    @property
    def is_fallback(self) -> bool:
        return self.kiosk_no is not None

    def __str__(self) -> str:
        if self.kiosk_no is None:
            return format_number(self.prefix, self.seq)
        return fallback_number(self.prefix, self.kiosk_no, self.seq)


def parse_number(text: str) -> ParsedNumber:
    """Split ``"A012"`` or ``"A2-001"`` into its parts; anything else is a ValueError.

    Only the canonical spelling is accepted (surrounding whitespace aside): ``A12``,
    ``a012``, ``A02-001`` and ``A000`` are all refused, so a number has one spelling.
    """
    if not isinstance(text, str):
        raise ValueError(f"号码应为文字，而不是 {type(text).__name__}")
    match = _NUMBER.match(text.strip())
    if match is None or match.group(3) == "000":
        raise ValueError(f"不是有效的号码：{text!r}（例如 A012 或 A2-001）")
    kiosk = match.group(2)
    return ParsedNumber(
        prefix=match.group(1),
        kiosk_no=int(kiosk) if kiosk is not None else None,
        seq=int(match.group(3)),
    )


def service_day(now: dt.datetime, tz: dt.tzinfo | str) -> dt.date:
    """The hall's local date at the instant ``now`` (which must be timezone-aware)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("时间必须带时区")
    return now.astimezone(hall_zone(tz)).date()


class Action(StrEnum):
    """What a window (or the resident, for cancel) does to a ticket."""

    CALL = "call"  # 叫号
    START = "start"  # 开始办理
    COMPLETE = "complete"  # 办结
    NO_SHOW = "no_show"  # 过号
    CANCEL = "cancel"  # 取消
    RECALL = "recall"  # 重呼
    TRANSFER = "transfer"  # 转到另一队列

    @property
    def label(self) -> str:
        return _ACTION_LABELS[self]


_ACTION_LABELS = {
    Action.CALL: "叫号",
    Action.START: "开始办理",
    Action.COMPLETE: "办结",
    Action.NO_SHOW: "标记过号",
    Action.CANCEL: "取消",
    Action.RECALL: "重呼",
    Action.TRANSFER: "转到其他队列",
}

_STATE_PHRASES = {
    TicketState.WAITING: "该号还在等候，尚未叫号",
    TicketState.CALLED: "该号已叫号",
    TicketState.SERVING: "该号正在办理",
    TicketState.DONE: "该号已办结",
    TicketState.NO_SHOW: "该号已过号",
    TicketState.CANCELLED: "该号已取消",
}

_TRANSITIONS: dict[tuple[TicketState, Action], TicketState] = {
    (TicketState.WAITING, Action.CALL): TicketState.CALLED,
    (TicketState.CALLED, Action.START): TicketState.SERVING,
    (TicketState.CALLED, Action.COMPLETE): TicketState.DONE,
    (TicketState.SERVING, Action.COMPLETE): TicketState.DONE,
    (TicketState.CALLED, Action.NO_SHOW): TicketState.NO_SHOW,
    (TicketState.WAITING, Action.CANCEL): TicketState.CANCELLED,
    (TicketState.CALLED, Action.CANCEL): TicketState.CANCELLED,
    (TicketState.CALLED, Action.RECALL): TicketState.CALLED,
    (TicketState.WAITING, Action.TRANSFER): TicketState.WAITING,
    (TicketState.CALLED, Action.TRANSFER): TicketState.WAITING,
    (TicketState.SERVING, Action.TRANSFER): TicketState.WAITING,
}

# Actions refused because they already happened: "不能再…" rather than "不能…".
_ALREADY = {(TicketState.CALLED, Action.CALL), (TicketState.SERVING, Action.START)}

#: States a ticket never leaves.
FINAL_STATES: frozenset[TicketState] = frozenset(
    {TicketState.DONE, TicketState.NO_SHOW, TicketState.CANCELLED}
)


class TransitionError(ValueError):
    """An action that is not allowed in the ticket's state; the message is for staff."""

    def __init__(self, state: TicketState, action: Action) -> None:
        self.state = state
        self.action = action
        again = state in FINAL_STATES or (state, action) in _ALREADY
        hint = (
            "；如需再次呼叫，请用重呼"
            if action is Action.CALL and state is TicketState.CALLED
            else ""
        )
        word = "再" if again else ""
        super().__init__(f"{_STATE_PHRASES[state]}，不能{word}{action.label}{hint}")


def next_state(state: TicketState, action: Action) -> TicketState:
    """The state after ``action``; raises :class:`TransitionError` when not allowed."""
    state = TicketState(state)
    action = Action(action)
    try:
        return _TRANSITIONS[(state, action)]
    except KeyError:
        raise TransitionError(state, action) from None


def allowed_actions(state: TicketState) -> frozenset[Action]:
    """The actions a ticket in ``state`` accepts (for enabling staff buttons)."""
    state = TicketState(state)
    return frozenset(a for (s, a) in _TRANSITIONS if s is state)


def is_final(state: TicketState) -> bool:
    return TicketState(state) in FINAL_STATES
