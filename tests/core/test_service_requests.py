"""The request (诉求) lifecycle: transitions, deadlines, follow-up, rating, numbers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core.clock import HALL_TZ
from kiosk.core.request_deadlines import (
    DEFAULT_CATEGORIES,
    Clock,
    Escalation,
    Light,
    categories_by_id,
    deadline_status,
    follow_up_due,
    may_rate,
    offers_reopen,
)
from kiosk.core.service_requests import (
    CLOSED_STATES,
    GRAPH,
    MAX_REOPENS,
    SET_ASIDE_STATES,
    Action,
    Actor,
    Role,
    ServiceRequest,
    State,
    TransitionRefused,
    allowed_actions,
    register,
    transition,
)
from kiosk.core.workdays import WORKDAY, WorkCalendar

SH = HALL_TZ
CAL = WorkCalendar()
STAFF = Actor(Role.STAFF, "staff-1")
RESIDENT = Actor(Role.RESIDENT)


def at(m: int, d: int, h: int = 9, mi: int = 0) -> dt.datetime:
    return dt.datetime(2026, m, d, h, mi, tzinfo=SH)


def new(when: dt.datetime | None = None, *, named: bool = True, limit: int = 3) -> ServiceRequest:
    request, event = register(
        id="pub-1",
        number="HY-2026-000123",
        category="repair",
        limit_workdays=limit,
        at=when or at(12, 1),
        named=named,
        actor=RESIDENT,
    )
    assert event.after is State.REGISTERED and event.before is None
    return request


def run(request: ServiceRequest, *steps: tuple[Any, ...]) -> ServiceRequest:
    for action, actor, when, *rest in steps:
        request, _ = transition(request, action, actor, when, **(rest[0] if rest else {}))
    return request


def test_the_whole_life_of_a_named_request() -> None:
    r = new(at(12, 1, 9))  # Tuesday
    r, event = transition(r, Action.ACCEPT, STAFF, at(12, 1, 10))
    assert (event.before, event.after, event.actor) == (State.REGISTERED, State.ACCEPTED, STAFF)
    r = run(
        r,
        (Action.START, STAFF, at(12, 1, 11)),
        (Action.ASK_INFO, STAFF, at(12, 1, 12), {"note": "请提供漏水照片"}),
    )
    assert r.state is State.AWAITING_INFO and r.paused_since == at(12, 1, 12)
    r = run(r, (Action.SUPPLY_INFO, RESIDENT, at(12, 2, 12)))
    assert r.pauses == ((at(12, 1, 12), at(12, 2, 12)),) and r.paused_since is None
    r, event = transition(r, Action.RESOLVE, STAFF, at(12, 4, 15), answer="已更换水管")
    assert event.fields == {"answer": "已更换水管"} and r.closed_at == at(12, 4, 15)
    with pytest.raises(TransitionRefused, match="回访"):
        transition(r, Action.ARCHIVE, STAFF, at(12, 30))
    r = run(
        r,
        (Action.FOLLOW_UP, STAFF, at(12, 7, 10)),
        (Action.RATE, RESIDENT, at(12, 7, 11), {"satisfaction": "satisfied"}),
    )
    assert r.state is State.RESOLVED  # rating does not move the state
    r = run(r, (Action.ARCHIVE, Actor(Role.SYSTEM), at(12, 8)))
    assert r.state is State.ARCHIVED and allowed_actions(r, Role.DISTRICT) == frozenset()


def test_refusals_must_say_where_to_go_and_duplicates_must_link() -> None:
    r = new()
    with pytest.raises(TransitionRefused, match="去哪里办理") as refused:
        transition(r, Action.REFUSE, STAFF, at(12, 1, 10))
    assert refused.value.field == "redirect_to"
    with pytest.raises(TransitionRefused, match="去哪里反映"):
        transition(r, Action.OUT_OF_AREA, STAFF, at(12, 1, 10), redirect_to="  ")
    out, event = transition(r, Action.OUT_OF_AREA, STAFF, at(12, 1, 10), redirect_to="华阳街道")
    assert out.redirect_to == "华阳街道" and event.fields["redirect_to"] == "华阳街道"
    with pytest.raises(TransitionRefused, match="原诉求"):
        transition(r, Action.MARK_DUPLICATE, STAFF, at(12, 1, 10))
    with pytest.raises(TransitionRefused, match="自身"):
        transition(r, Action.MARK_DUPLICATE, STAFF, at(12, 1, 10), original="HY-2026-000123")
    dup = run(r, (Action.MARK_DUPLICATE, STAFF, at(12, 1, 10), {"original": "HY-2026-000100"}))
    assert dup.state is State.DUPLICATE and dup.duplicate_of == "HY-2026-000100"
    with pytest.raises(TransitionRefused, match="不能受理"):
        transition(dup, Action.ACCEPT, STAFF, at(12, 1, 11))


def test_bad_input_gets_a_clear_refusal() -> None:
    r = run(new(), (Action.ACCEPT, STAFF, at(12, 1, 10)))
    with pytest.raises(TransitionRefused, match="不需要填写"):
        transition(r, Action.START, STAFF, at(12, 1, 11), colour="red")
    with pytest.raises(TransitionRefused, match="预计办理日期"):
        transition(r, Action.SCHEDULE, STAFF, at(12, 1, 11), expected_date="明天")
    with pytest.raises(TransitionRefused, match="早于今天"):
        transition(r, Action.SCHEDULE, STAFF, at(12, 1, 11), expected_date=dt.date(2026, 11, 30))
    with pytest.raises(TransitionRefused, match="上一次变更"):
        transition(r, Action.START, STAFF, at(12, 1, 9))
    with pytest.raises(TransitionRefused, match="时区"):
        transition(r, Action.START, STAFF, dt.datetime(2026, 12, 1, 11))
    with pytest.raises(TransitionRefused, match="未知的操作"):
        transition(r, "explode", STAFF, at(12, 1, 11))  # type: ignore[arg-type]
    with pytest.raises(TransitionRefused, match="居民不能受理"):
        transition(new(), Action.ACCEPT, RESIDENT, at(12, 1, 11))
    with pytest.raises(TransitionRefused, match="过长"):
        transition(r, Action.ANSWER, STAFF, at(12, 1, 11), answer="长" * 501)
    with pytest.raises(TransitionRefused, match="1–60"):
        new(limit=0)
    sched = run(r, (Action.SCHEDULE, STAFF, at(12, 1, 11), {"expected_date": dt.date(2026, 12, 9)}))
    assert sched.state is State.SCHEDULED and sched.expected_date == dt.date(2026, 12, 9)


def closed(r: ServiceRequest, when: dt.datetime) -> ServiceRequest:
    return run(r, (Action.RESOLVE, STAFF, when, {"answer": "已处理"}))


def test_reopen_twice_then_the_district_takes_it() -> None:
    r = closed(run(new(), (Action.ACCEPT, STAFF, at(12, 1, 10))), at(12, 2))
    for n in range(1, MAX_REOPENS + 1):
        r = run(r, (Action.REOPEN, RESIDENT, at(12, 2 + n), {"reason": "还是漏水"}))
        assert (r.state, r.reopen_count, r.clock_start) == (State.IN_PROGRESS, n, at(12, 2 + n))
        r = closed(r, at(12, 2 + n, 15))
    r = run(r, (Action.REOPEN, RESIDENT, at(12, 8), {"reason": "还是漏水"}))
    assert r.state is State.TRANSFERRED and r.at_district and r.transferred_to == "区级"
    assert r.reopen_count == MAX_REOPENS
    r = closed(r, at(12, 9))
    assert not offers_reopen(
        run(r, (Action.RATE, RESIDENT, at(12, 9, 10), {"satisfaction": "unsatisfied"}))
    )
    with pytest.raises(TransitionRefused, match="12345"):
        transition(r, Action.REOPEN, RESIDENT, at(12, 10), reason="不服")


def test_rating_once_within_14_days_and_never_by_staff() -> None:
    r = closed(run(new(), (Action.ACCEPT, STAFF, at(12, 1, 10))), at(12, 2, 10))
    assert may_rate(r, at(12, 16, 10)) and not may_rate(r, at(12, 16, 11))
    with pytest.raises(TransitionRefused, match="过期"):
        transition(r, Action.RATE, RESIDENT, at(12, 16, 11), satisfaction="satisfied")
    with pytest.raises(TransitionRefused, match="工作人员不能评价"):
        transition(r, Action.RATE, STAFF, at(12, 3), satisfaction="satisfied")
    with pytest.raises(TransitionRefused, match="满意"):
        transition(r, Action.RATE, RESIDENT, at(12, 3), satisfaction="great")
    rated = run(r, (Action.RATE, RESIDENT, at(12, 3), {"satisfaction": "unsatisfied"}))
    assert offers_reopen(rated) and not may_rate(rated, at(12, 3, 10))
    with pytest.raises(TransitionRefused, match="只能评价一次"):
        transition(rated, Action.RATE, RESIDENT, at(12, 3, 10), satisfaction="satisfied")
    # An anonymous request owes no follow-up, and may be archived once the window is over.
    anon = closed(run(new(named=False), (Action.ACCEPT, STAFF, at(12, 1, 10))), at(12, 2, 10))
    assert follow_up_due(anon, CAL) is None
    with pytest.raises(TransitionRefused, match="无法回访"):
        transition(anon, Action.FOLLOW_UP, STAFF, at(12, 3))
    with pytest.raises(TransitionRefused, match="尚可评价"):
        transition(anon, Action.ARCHIVE, STAFF, at(12, 10))
    assert run(anon, (Action.ARCHIVE, STAFF, at(12, 17))).state is State.ARCHIVED


def test_follow_up_due_three_working_days_after_closing() -> None:
    r = closed(run(new(), (Action.ACCEPT, STAFF, at(12, 1, 10))), at(12, 4, 16))  # a Friday
    assert follow_up_due(r, CAL) == at(12, 9, 16)  # Mon, Tue, Wed
    assert follow_up_due(run(r, (Action.FOLLOW_UP, STAFF, at(12, 7))), CAL) is None


def test_acceptance_within_one_working_day() -> None:
    r = new(at(12, 4, 16))  # Friday 16:00
    status = deadline_status(r, at(12, 7, 9), CAL)
    assert status is not None and status.clock is Clock.ACCEPTANCE
    assert status.due == at(12, 7, 16) and status.light is Light.GREEN
    assert deadline_status(r, at(12, 7, 10), CAL).light is Light.AMBER  # type: ignore[union-attr]
    late = deadline_status(r, at(12, 7, 17), CAL)
    assert late is not None and late.light is Light.RED and late.escalation is Escalation.LEADER
    later = deadline_status(r, at(12, 9, 17), CAL)
    assert (
        later is not None
        and later.escalation is Escalation.DISTRICT
        and later.left < dt.timedelta(0)
    )


def test_closing_deadline_across_national_day_with_a_pause() -> None:
    r = run(
        new(at(9, 29, 9), limit=5),
        (Action.ACCEPT, STAFF, at(9, 29, 10)),  # Tuesday before the holiday
        (Action.ASK_INFO, STAFF, at(9, 30, 10)),
    )
    status = deadline_status(r, at(10, 9, 10), CAL)
    assert status is not None and status.paused and status.light is Light.GREEN
    # Paused from Wed 30 Sep 10:00: one working day was used, the holiday never counts.
    assert status.left == 4 * WORKDAY
    r = run(r, (Action.SUPPLY_INFO, RESIDENT, at(10, 9, 10)))
    # 4 working days from Fri 9 Oct 10:00: Sat 10 (调休, worked), Mon 12, Tue 13, Wed 14.
    assert deadline_status(r, at(10, 9, 11), CAL).due == at(10, 14, 10)  # type: ignore[union-attr]
    assert deadline_status(closed(r, at(10, 9, 12)), at(10, 9, 12), CAL) is None


def test_categories_are_the_ten_services_and_five_kinds() -> None:
    found = categories_by_id()
    assert len(found) == 15 and found["repair"].name == "报修" and found["party"].name == "党员教育"
    assert found["repair"].limit_in_words() == "3 个工作日内答复"
    with pytest.raises(ValueError, match="重复"):
        categories_by_id((*DEFAULT_CATEGORIES, DEFAULT_CATEGORIES[0]))


# Random lives: every action by every role at growing times, with fields that are mostly
# right, sometimes wrong; whatever happens, the rules hold after every step.
ROLES = [Actor(role, role.value) for role in Role]
ENDINGS = {
    Action.WITHDRAW,
    Action.MARK_DUPLICATE,
    Action.REFUSE,
    Action.OUT_OF_AREA,
    Action.ARCHIVE,
}


def fields_for(action: Action, when: dt.datetime, pick: int) -> dict[str, object]:
    good: dict[Action, dict[str, object]] = {
        Action.REFUSE: {"redirect_to": "派出所"},
        Action.OUT_OF_AREA: {"redirect_to": "邻近社区"},
        Action.MARK_DUPLICATE: {"original": "HY-2026-000001"},
        Action.TRANSFER: {"unit": "物业"},
        Action.SCHEDULE: {"expected_date": when.date() + dt.timedelta(days=pick % 5)},
        Action.RESOLVE: {"answer": "已办"},
        Action.ANSWER: {"answer": "已答复"},
        Action.REOPEN: {"reason": "不满意"},
        Action.RATE: {"satisfaction": ["satisfied", "fairly_satisfied", "unsatisfied"][pick % 3]},
    }
    return {} if pick % 7 == 0 else good.get(action, {})


steps = st.lists(
    st.tuples(
        st.sampled_from(list(Action)),
        st.sampled_from(ROLES),
        st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=4)),
        st.integers(0, 100),
    ),
    max_size=40,
)


@settings(max_examples=400, deadline=None)
@given(steps=steps, start_day=st.integers(0, 150))
def test_random_lives_keep_to_the_graph(
    steps: list[tuple[Action, Actor, dt.timedelta, int]], start_day: int
) -> None:
    when = at(1, 5) + dt.timedelta(days=start_day)
    r = new(when)
    for drawn, actor, gap, pick in steps:
        when += gap
        before = r
        # Mostly an action the graph allows (so lives get far: closing, 重办, the district),
        # sometimes any action at all.
        allowed = sorted(allowed_actions(r, actor.role))
        if pick % 8:
            allowed = [a for a in allowed if a not in ENDINGS] or allowed
        action = allowed[pick % len(allowed)] if allowed and pick % 4 else drawn
        try:
            r, event = transition(r, action, actor, when, **fields_for(action, when, pick))
        except TransitionRefused:
            assert r is before
            continue
        assert r.state in State
        if action is Action.REOPEN and r.at_district and not before.at_district:
            assert r.state is State.TRANSFERRED  # the one defined way out of the graph's target
        else:
            assert r.state is GRAPH[(before.state, action)]
        assert (event.before, event.after) == (before.state, r.state)
        assert r.reopen_count <= MAX_REOPENS
        assert not r.at_district or r.reopen_count == MAX_REOPENS
        assert (r.paused_since is not None) == (r.state is State.AWAITING_INFO)
        if before.state is State.ARCHIVED:
            raise AssertionError("an archived request changed")
        if before.state in SET_ASIDE_STATES:
            assert r.state is State.ARCHIVED
        if r.state in CLOSED_STATES:
            assert r.closed_at is not None and r.answer
        status = deadline_status(r, when, CAL)
        if status is not None and r.clock_start is not None:
            assert status.due >= r.clock_start


@settings(max_examples=200, deadline=None)
@given(
    start_day=st.integers(0, 150),
    before_pause=st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=3)),
    a=st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=10)),
    b=st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=10)),
    limit=st.integers(1, 20),
)
def test_paused_time_never_counts(
    start_day: int, before_pause: dt.timedelta, a: dt.timedelta, b: dt.timedelta, limit: int
) -> None:
    accepted = at(1, 5) + dt.timedelta(days=start_day)
    r = run(new(accepted, limit=limit), (Action.ACCEPT, STAFF, accepted))
    paused_at = accepted + before_pause
    r = run(r, (Action.ASK_INFO, STAFF, paused_at))
    first, second = sorted((paused_at + a, paused_at + b))
    s1, s2 = deadline_status(r, first, CAL), deadline_status(r, second, CAL)
    assert s1 is not None and s2 is not None
    assert s1.left == s2.left and s1.due <= s2.due and s1.paused and s2.paused
    assert s1.left == WORKDAY * limit - CAL.working_time(accepted, paused_at)
    resumed = run(r, (Action.SUPPLY_INFO, RESIDENT, second))
    s3 = deadline_status(resumed, second, CAL)
    assert s3 is not None and s3.left == s2.left


@settings(max_examples=100, deadline=None)
@given(start_day=st.integers(0, 200), limit=st.integers(1, 30), more=st.integers(0, 10))
def test_closing_deadline_is_after_acceptance_and_monotone_in_the_limit(
    start_day: int, limit: int, more: int
) -> None:
    accepted = at(1, 5, 14) + dt.timedelta(days=start_day)
    dues = []
    for n in (limit, limit + more):
        r = run(new(accepted, limit=n), (Action.ACCEPT, STAFF, accepted))
        status = deadline_status(r, accepted, CAL)
        assert status is not None and status.due >= accepted and status.light is Light.GREEN
        dues.append(status.due)
    assert dues[0] <= dues[1]


def test_ends_are_absorbing_except_archiving() -> None:
    for state in SET_ASIDE_STATES:
        assert {a for (s, a) in GRAPH if s is state} == {Action.ARCHIVE}
    assert not [a for (s, a) in GRAPH if s is State.ARCHIVED]
    for state in CLOSED_STATES:
        assert {a for (s, a) in GRAPH if s is state} == {
            Action.REOPEN,
            Action.FOLLOW_UP,
            Action.RATE,
            Action.ARCHIVE,
        }


def test_five_faces_map_to_three_satisfaction_levels() -> None:
    from kiosk.core.ratings import Level
    from kiosk.core.request_deadlines import satisfaction_of
    from kiosk.core.service_requests import Satisfaction

    assert satisfaction_of(Level.VERY_SATISFIED) is Satisfaction.SATISFIED
    assert satisfaction_of("satisfied") is Satisfaction.SATISFIED
    assert satisfaction_of(Level.FAIR) is Satisfaction.FAIRLY
    assert satisfaction_of(Level.UNSATISFIED) is Satisfaction.UNSATISFIED
    assert satisfaction_of("very_unsatisfied") is Satisfaction.UNSATISFIED
    with pytest.raises(ValueError):
        satisfaction_of("great")
