"""The flow of one rating at a window's device, without Kivy: :class:`RatingSession`.

The device idles until the hall's event stream says the ticket at its counter was
completed (:func:`completed_here`). Then it asks. A good level is the rating at once; a
差评 (不满意 / 非常不满意) needs at least one reason, then may leave a phone (实名). The
resident has :data:`kiosk.core.ratings.DEVICE_TIMEOUT` from the question: a prompt left
unanswered, or a 差评 left without its reasons, becomes 未评价 (level None) — never a
default good rating. A 差评 whose reasons were confirmed is the resident's answer even if
the phone is not finished in time (it is kept without the phone).

Every finished prompt is handed out as a :class:`Finished` (what the store keeps and the
courier sends); the session itself holds no file and no network.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from pydantic import ValidationError

from kiosk.core.ratings import (
    DEVICE_TIMEOUT,
    Level,
    Rating,
    RatingPrompt,
    RatingRefused,
    Reason,
    answer,
    expire,
)
from kiosk.core.wire import EventPublic, EventType, RatingCreate
from kiosk.i18n import _

__all__ = [
    "PHONE_DIGITS",
    "Finished",
    "RatingSession",
    "Stage",
    "completed_here",
    "phone_problem",
]

#: A mainland mobile number: 11 digits, 13… to 19… (as ``core.wire.MobilePhone``).
PHONE_DIGITS = 11


class Stage(StrEnum):
    IDLE = "idle"
    ASK = "ask"
    REASONS = "reasons"
    PHONE = "phone"
    THANKS = "thanks"


@dataclass(frozen=True)
class Finished:
    """A prompt that has its outcome: a rating, or 未评价 (``rating.level is None``)."""

    ticket_id: str
    counter_id: int
    rating: Rating
    phone: str | None = None


def completed_here(event: EventPublic, counter_id: int) -> str | None:
    """The ticket id when ``event`` says the ticket at ``counter_id`` was completed."""
    if event.type is not EventType.TICKET or event.data.get("state") != "done":
        return None
    counter = event.data.get("counter_id")
    ticket = event.data.get("ticket_id")
    if isinstance(counter, bool) or not isinstance(counter, int | str):
        return None
    if str(counter) != str(counter_id) or not isinstance(ticket, str) or not _rateable(ticket):
        return None
    return ticket


def _rateable(ticket_id: str) -> bool:
    """True when the server would take a rating of ``ticket_id`` (its id rule is
    :class:`RatingCreate`'s, not repeated here)."""
    probe = {"ticket_id": ticket_id, "counter_id": 1, "asked_at": _PROBE, "answered_at": _PROBE}
    try:
        RatingCreate.model_validate(probe)
    except ValidationError:
        return False
    return True


_PROBE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def phone_problem(digits: str) -> str | None:
    """Why ``digits`` is not a phone the resident may leave (Chinese), or None."""
    if not digits.isascii() or not digits.isdigit():
        return _("Phone numbers are digits only")
    if len(digits) != PHONE_DIGITS or digits[0] != "1" or digits[1] in "012":
        return _("Please enter an 11-digit mobile number")
    return None


class RatingSession:
    """One device's rating flow; ``clock()`` is the device's clock (aware; tests move it).

    ``on_finished(finished)`` is called once per prompt (answered or 未评价), before the
    session shows 谢谢: the caller stores it durably there.
    """

    def __init__(
        self,
        *,
        counter_id: int,
        device_id: str,
        clock: Callable[[], dt.datetime],
        on_finished: Callable[[Finished], object],
    ) -> None:
        self.counter_id = counter_id
        self.device_id = device_id
        self._clock = clock
        self._on_finished = on_finished
        self.stage = Stage.IDLE
        self.prompt: RatingPrompt | None = None
        self.ticket_id: str | None = None
        self.level: Level | None = None
        self.reasons: set[Reason] = set()
        self.phone = ""
        self._answered: Rating | None = None
        self._asked: set[str] = set()

    # -- the server says a service finished ----------------------------------------------
    def ask(self, ticket_id: str, *, window: int = 0, staff: str = "", service: str = "") -> bool:
        """Put the question for ``ticket_id``; False when it was asked already.

        A prompt still open is finished first (its answer if it has one, else 未评价).
        """
        if ticket_id in self._asked or ticket_id == self.ticket_id:
            return False
        if self.stage in (Stage.ASK, Stage.REASONS, Stage.PHONE):
            self._finish_open(self._clock())
        self._reset()
        self._asked.add(ticket_id)
        self.ticket_id = ticket_id
        self.prompt = RatingPrompt(
            subject=ticket_id,
            staff=staff,
            service=service,
            window=window,
            device=self.device_id,
            asked_at=self._clock(),
        )
        self.stage = Stage.ASK
        return True

    def already_asked(self, ticket_ids: set[str]) -> None:
        """Tickets rated before a restart (from the store): never asked again."""
        self._asked |= ticket_ids

    # -- the resident -------------------------------------------------------------------------
    def choose(self, level: Level | str) -> None:
        """A face was touched."""
        if self.stage not in (Stage.ASK, Stage.REASONS) or self.prompt is None:
            return
        chosen = Level(level)
        if self._expired():
            return
        self.level = chosen
        if chosen.is_bad:
            self.stage = Stage.REASONS
            return
        self._deliver(answer(self.prompt, chosen, self._clock()))

    def toggle(self, reason: Reason | str) -> None:
        if self.stage is not Stage.REASONS:
            return
        picked = Reason(reason)
        self.reasons.symmetric_difference_update({picked})

    def back_to_faces(self) -> None:
        if self.stage is Stage.REASONS:
            self.stage, self.level = Stage.ASK, None
            self.reasons.clear()

    def confirm_reasons(self) -> str | None:
        """The reasons are done: on to the optional phone. Returns why not (Chinese)."""
        if self.stage is not Stage.REASONS or self.prompt is None or self.level is None:
            return None
        if self._expired():
            return None
        try:
            self._answered = answer(self.prompt, self.level, self._clock(), reasons=self.reasons)
        except RatingRefused as exc:
            return str(exc)
        self.stage = Stage.PHONE
        return None

    def press_digit(self, digit: str) -> None:
        if self.stage is Stage.PHONE and digit.isdigit() and len(self.phone) < PHONE_DIGITS:
            self.phone += digit

    def delete_digit(self) -> None:
        if self.stage is Stage.PHONE:
            self.phone = self.phone[:-1]

    def submit(self, *, with_phone: bool) -> str | None:
        """The 差评 with (or without) the phone; returns why not (Chinese)."""
        if self.stage is not Stage.PHONE or self._answered is None:
            return None
        if with_phone:
            problem = phone_problem(self.phone)
            if problem:
                return problem
            rating = dataclasses.replace(self._answered, named=True)
            self._deliver(rating, phone=self.phone)
        else:
            self._deliver(self._answered)
        return None

    # -- time ---------------------------------------------------------------------------------
    @property
    def seconds_left(self) -> float:
        if self.prompt is None or self.stage in (Stage.IDLE, Stage.THANKS):
            return 0.0
        end = self.prompt.asked_at + DEVICE_TIMEOUT
        return max(0.0, (end - self._clock()).total_seconds())

    def tick(self) -> bool:
        """Called often: True when the 60 s ran out now (the prompt was finished)."""
        return self._expired()

    def done_thanking(self) -> None:
        if self.stage is Stage.THANKS:
            self._reset()

    # -- internals ----------------------------------------------------------------------------
    def _expired(self) -> bool:
        if self.stage not in (Stage.ASK, Stage.REASONS, Stage.PHONE) or self.prompt is None:
            return False
        now = self._clock()
        if expire(self.prompt, now) is None:
            return False
        self._finish_open(now)
        self._reset()
        return True

    def _finish_open(self, now: dt.datetime) -> None:
        """The open prompt ends without the resident finishing it."""
        assert self.prompt is not None and self.ticket_id is not None
        if self._answered is not None:  # a 差评 with its reasons: theirs, without phone
            rating = self._answered
        else:
            rating = expire(self.prompt, now) or Rating(self.prompt, None, now)
        self._on_finished(Finished(self.ticket_id, self.counter_id, rating))

    def _deliver(self, rating: Rating, *, phone: str | None = None) -> None:
        assert self.ticket_id is not None
        self._on_finished(Finished(self.ticket_id, self.counter_id, rating, phone))
        self.stage = Stage.THANKS

    def _reset(self) -> None:
        self.stage = Stage.IDLE
        self.prompt = None
        self.ticket_id = None
        self.level = None
        self.reasons = set()
        self.phone = ""
        self._answered = None
