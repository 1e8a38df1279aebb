"""Ticket numbers, the service day and the ticket state machine."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.core.clock import DEFAULT_TIMEZONE, HALL_TZ
from kiosk.core.tickets import (
    FINAL_STATES,
    Action,
    ParsedNumber,
    TransitionError,
    allowed_actions,
    fallback_number,
    format_number,
    is_final,
    next_state,
    parse_number,
    service_day,
)
from kiosk.core.wire import LeasedNumber, TicketState

W, C, S = TicketState.WAITING, TicketState.CALLED, TicketState.SERVING
D, N, X = TicketState.DONE, TicketState.NO_SHOW, TicketState.CANCELLED

prefixes = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
seqs = st.integers(min_value=1, max_value=999)
kiosks = st.integers(min_value=1, max_value=99)

# A loaded 2-core CI machine must not turn slow examples into failures.
relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize(
    ("prefix", "seq", "expected"),
    [("A", 1, "A001"), ("A", 12, "A012"), ("B", 100, "B100"), ("Z", 999, "Z999")],
)
def test_format_number(prefix: str, seq: int, expected: str) -> None:
    assert format_number(prefix, seq) == expected


@pytest.mark.parametrize(
    ("prefix", "seq"),
    [("A", 0), ("A", 1000), ("A", -1), ("A", True), ("a", 1), ("AB", 1), ("", 1), ("1", 1)],
)
def test_format_number_refuses(prefix: str, seq: int) -> None:
    with pytest.raises(ValueError):
        format_number(prefix, seq)


def test_format_number_refuses_float_seq() -> None:
    with pytest.raises(ValueError, match="序号"):
        format_number("A", 1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("prefix", "kiosk_no", "seq", "expected"),
    [
        ("A", 2, 1, "A2-001"),
        ("A", 1, 999, "A1-999"),
        ("C", 12, 34, "C12-034"),
        ("Z", 99, 1, "Z99-001"),
    ],
)
def test_fallback_number(prefix: str, kiosk_no: int, seq: int, expected: str) -> None:
    assert fallback_number(prefix, kiosk_no, seq) == expected


@pytest.mark.parametrize(
    ("prefix", "kiosk_no", "seq"),
    [("A", 0, 1), ("A", 100, 1), ("A", -2, 1), ("A", 2, 0), ("A", 2, 1000), ("a", 2, 1)],
)
def test_fallback_number_refuses(prefix: str, kiosk_no: int, seq: int) -> None:
    with pytest.raises(ValueError):
        fallback_number(prefix, kiosk_no, seq)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A012", ParsedNumber("A", None, 12)),
        ("Z999", ParsedNumber("Z", None, 999)),
        ("A2-001", ParsedNumber("A", 2, 1)),
        ("B99-100", ParsedNumber("B", 99, 100)),
        (" C003\n", ParsedNumber("C", None, 3)),
    ],
)
def test_parse_number(text: str, expected: ParsedNumber) -> None:
    parsed = parse_number(text)
    assert parsed == expected
    assert parsed.is_fallback is (expected.kiosk_no is not None)
    assert str(parsed) == text.strip()


@pytest.mark.parametrize(
    "text",
    ["", "A", "A12", "a012", "A0012", "A000", "A0-001", "A02-001", "A100-001", "A2-01", "A2_001",
     "AB012", "012", "A012号", "Ａ012"],
)  # fmt: skip
def test_parse_number_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="号码"):
        parse_number(text)


def test_parse_number_refuses_non_text() -> None:
    with pytest.raises(ValueError):
        parse_number(12)  # type: ignore[arg-type]


@relaxed
@given(prefixes, seqs)
def test_numbers_round_trip(prefix: str, seq: int) -> None:
    text = format_number(prefix, seq)
    assert parse_number(text) == ParsedNumber(prefix, None, seq)
    # The wire accepts every number we make.
    LeasedNumber(service_day=dt.date(2026, 11, 26), seq=seq, text=text)


@relaxed
@given(prefixes, kiosks, seqs)
def test_fallback_numbers_round_trip(prefix: str, kiosk_no: int, seq: int) -> None:
    text = fallback_number(prefix, kiosk_no, seq)
    assert parse_number(text) == ParsedNumber(prefix, kiosk_no, seq)
    LeasedNumber(service_day=dt.date(2026, 11, 26), seq=seq, text=text)


@relaxed
@given(prefixes, kiosks, seqs, seqs)
def test_fallback_never_equals_a_leased_number(prefix: str, k: int, s1: int, s2: int) -> None:
    assert fallback_number(prefix, k, s1) != format_number(prefix, s2)


@relaxed
@given(prefixes, kiosks, kiosks, seqs, seqs)
def test_fallback_series_of_two_kiosks_never_clash(
    prefix: str, k1: int, k2: int, s1: int, s2: int
) -> None:
    if (k1, s1) != (k2, s2):
        assert fallback_number(prefix, k1, s1) != fallback_number(prefix, k2, s2)


SHANGHAI = HALL_TZ


@pytest.mark.parametrize(
    ("now", "tz", "expected"),
    [
        (dt.datetime(2026, 11, 25, 15, 59, tzinfo=dt.UTC), SHANGHAI, dt.date(2026, 11, 25)),
        (dt.datetime(2026, 11, 25, 16, 0, tzinfo=dt.UTC), SHANGHAI, dt.date(2026, 11, 26)),
        (dt.datetime(2026, 11, 25, 16, 0, tzinfo=dt.UTC), DEFAULT_TIMEZONE, dt.date(2026, 11, 26)),
        (dt.datetime(2026, 11, 26, 0, 0, tzinfo=SHANGHAI), "UTC", dt.date(2026, 11, 25)),
        (dt.datetime(2026, 11, 26, 23, 59, 59, tzinfo=SHANGHAI), SHANGHAI, dt.date(2026, 11, 26)),
        (dt.datetime(2026, 1, 1, 0, 0, tzinfo=SHANGHAI), SHANGHAI, dt.date(2026, 1, 1)),
    ],
)
def test_service_day(now: dt.datetime, tz: ZoneInfo | str, expected: dt.date) -> None:
    assert service_day(now, tz) == expected


def test_service_day_refuses_naive_time() -> None:
    with pytest.raises(ValueError, match="时区"):
        service_day(dt.datetime(2026, 11, 26, 9, 0), SHANGHAI)


def test_service_day_refuses_unknown_zone() -> None:
    with pytest.raises(ValueError, match="未知的时区 'Mars/Olympus'"):
        service_day(dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC), "Mars/Olympus")


# Every (state, action) pair: the resulting state, or None when it is not allowed.
TRANSITIONS: dict[TicketState, dict[Action, TicketState | None]] = {
    W: {
        Action.CALL: C,
        Action.START: None,
        Action.COMPLETE: None,
        Action.NO_SHOW: None,
        Action.CANCEL: X,
        Action.RECALL: None,
        Action.TRANSFER: W,
    },
    C: {
        Action.CALL: None,
        Action.START: S,
        Action.COMPLETE: D,
        Action.NO_SHOW: N,
        Action.CANCEL: X,
        Action.RECALL: C,
        Action.TRANSFER: W,
    },
    S: {
        Action.CALL: None,
        Action.START: None,
        Action.COMPLETE: D,
        Action.NO_SHOW: None,
        Action.CANCEL: None,
        Action.RECALL: None,
        Action.TRANSFER: W,
    },
    **{final: dict.fromkeys(Action) for final in (D, N, X)},
}
PAIRS = [(state, action, TRANSITIONS[state][action]) for state in TicketState for action in Action]


def test_the_table_covers_every_pair() -> None:
    assert len(PAIRS) == len(TicketState) * len(Action) == 42


@pytest.mark.parametrize(("state", "action", "expected"), PAIRS)
def test_next_state(state: TicketState, action: Action, expected: TicketState | None) -> None:
    if expected is None:
        with pytest.raises(TransitionError) as caught:
            next_state(state, action)
        assert caught.value.state is state
        assert caught.value.action is action
        assert isinstance(caught.value, ValueError)
        message = str(caught.value)
        assert message.startswith("该号")
        assert action.label in message
    else:
        assert next_state(state, action) is expected


@pytest.mark.parametrize(
    ("state", "action", "message"),
    [
        (D, Action.CALL, "该号已办结，不能再叫号"),
        (X, Action.CANCEL, "该号已取消，不能再取消"),
        (N, Action.RECALL, "该号已过号，不能再重呼"),
        (C, Action.CALL, "该号已叫号，不能再叫号；如需再次呼叫，请用重呼"),
        (S, Action.RECALL, "该号正在办理，不能重呼"),
        (W, Action.START, "该号还在等候，尚未叫号，不能开始办理"),
    ],
)
def test_transition_messages(state: TicketState, action: Action, message: str) -> None:
    with pytest.raises(TransitionError, match=f"^{message}$"):
        next_state(state, action)


def test_next_state_takes_wire_strings() -> None:
    assert next_state("waiting", "call") is C  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        next_state("waiting", "teleport")  # type: ignore[arg-type]


@pytest.mark.parametrize("state", list(TicketState))
def test_allowed_actions_match_the_table(state: TicketState) -> None:
    expected = {a for a, to in TRANSITIONS[state].items() if to is not None}
    assert allowed_actions(state) == expected
    assert is_final(state) is (not expected)
    assert (state in FINAL_STATES) is (not expected)


@relaxed
@given(st.lists(st.sampled_from(list(Action)), max_size=30))
def test_final_states_are_final(actions: list[Action]) -> None:
    state = W
    for action in actions:
        if is_final(state):
            with pytest.raises(TransitionError):
                next_state(state, action)
            continue
        try:
            state = next_state(state, action)
        except TransitionError:
            assert action not in allowed_actions(state)
    assert state in TicketState
