"""好差评: answering, the 60 s timeout, 整改 deadlines, 追评, appeals, figures, bursts."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core.clock import HALL_TZ
from kiosk.core.ratings import (
    DEVICE_TIMEOUT,
    Channel,
    Level,
    Rating,
    RatingPrompt,
    RatingRefused,
    Reason,
    RectificationPolicy,
    Step,
    answer,
    appeal,
    burst_flags,
    decide_appeal,
    expire,
    figures,
    record_step,
    second_rating,
    step_due,
)
from kiosk.core.workdays import WorkCalendar

SH = HALL_TZ
CAL = WorkCalendar()
ASKED = dt.datetime(2026, 12, 4, 15, 0, tzinfo=SH)  # a Friday


def prompt(device: str = "rating-2", at: dt.datetime = ASKED, **kw: object) -> RatingPrompt:
    base = RatingPrompt("ticket-1", "staff-7", "residence-permit", 2, device, at)
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


def bad(at: dt.datetime = ASKED, device: str = "rating-2") -> Rating:
    return answer(
        prompt(device, at), Level.UNSATISFIED, at + dt.timedelta(seconds=10), reasons=["waiting"]
    )


def test_five_levels_and_the_two_bad_ones() -> None:
    assert [lv.label for lv in Level] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    assert [lv.is_bad for lv in Level] == [False, False, False, True, True]
    assert {r.label for r in Reason} == {
        "态度",
        "效率",
        "业务不熟",
        "指南不准确",
        "等候太久",
        "环境",
        "其他",
    }


def test_a_bad_rating_needs_a_reason_and_opens_a_rectification() -> None:
    with pytest.raises(RatingRefused, match="至少选择一项"):
        answer(prompt(), Level.VERY_UNSATISFIED, ASKED + dt.timedelta(seconds=5))
    with pytest.raises(RatingRefused, match="才需要选择原因"):
        answer(prompt(), Level.SATISFIED, ASKED + dt.timedelta(seconds=5), reasons=["attitude"])
    with pytest.raises(RatingRefused, match="五个等级"):
        answer(prompt(), "great", ASKED + dt.timedelta(seconds=5))
    with pytest.raises(RatingRefused, match="五个等级"):
        answer(prompt(), Level.UNSATISFIED, ASKED, reasons=["rude"])
    with pytest.raises(RatingRefused, match="时区"):
        answer(prompt(), Level.SATISFIED, dt.datetime(2026, 12, 4, 15, 0, 5))
    with pytest.raises(RatingRefused, match="工作人员"):
        answer(prompt(), Level.SATISFIED, ASKED, rater_is_staff=True)
    good = answer(prompt(), "satisfied", ASKED + dt.timedelta(seconds=5))
    assert good.rectification is None
    rating = bad()
    assert rating.reasons == {Reason.WAITING} and rating.rectification is not None


def test_sixty_seconds_then_unrated_never_a_good_rating() -> None:
    assert expire(prompt(), ASKED + DEVICE_TIMEOUT) is None
    timed_out = expire(prompt(), ASKED + DEVICE_TIMEOUT + dt.timedelta(seconds=1))
    assert timed_out is not None and timed_out.level is None and not timed_out.counted
    with pytest.raises(RatingRefused, match="超时"):
        answer(prompt(), Level.SATISFIED, ASKED + DEVICE_TIMEOUT + dt.timedelta(seconds=1))
    # The phone page: three days, and no timeout turning into 未评价.
    page = prompt(channel=Channel.PHONE_PAGE)
    assert expire(page, ASKED + dt.timedelta(days=10)) is None
    assert answer(page, Level.FAIR, ASKED + dt.timedelta(days=3)).level is Level.FAIR
    with pytest.raises(RatingRefused, match="过期"):
        answer(page, Level.FAIR, ASKED + dt.timedelta(days=3, seconds=1))


def test_rectification_deadlines_in_order_and_once_each() -> None:
    rating = bad()  # Friday 15:00
    policy = RectificationPolicy()
    assert step_due(rating, Step.CALL_BACK, CAL, policy) == dt.datetime(
        2026, 12, 7, 15, 0, 10, tzinfo=SH
    )
    assert step_due(rating, Step.VERIFY, CAL, policy) == dt.datetime(
        2026, 12, 9, 15, 0, 10, tzinfo=SH
    )
    assert step_due(rating, Step.FIX, CAL, policy).date() == dt.date(2026, 12, 25)
    assert step_due(rating, Step.FIX, CAL, RectificationPolicy(fix=5)).date() == dt.date(
        2026, 12, 11
    )
    with pytest.raises(ValueError, match="整改时限"):
        RectificationPolicy(call_back=3, verify=1)
    with pytest.raises(RatingRefused, match="请先完成回访"):
        record_step(rating, Step.VERIFY, ASKED + dt.timedelta(days=1))
    with pytest.raises(RatingRefused, match="追评"):
        second_rating(rating, Level.SATISFIED)
    monday = dt.datetime(2026, 12, 7, 10, tzinfo=SH)
    rating = record_step(rating, Step.CALL_BACK, monday)
    with pytest.raises(RatingRefused, match="已记录过"):
        record_step(rating, Step.CALL_BACK, monday)
    with pytest.raises(RatingRefused, match="早于上一步"):
        record_step(rating, Step.VERIFY, monday - dt.timedelta(hours=1))
    rating = record_step(record_step(rating, Step.VERIFY, monday), Step.FIX, monday)
    rating = second_rating(rating, Level.SATISFIED)
    assert rating.second_level is Level.SATISFIED
    with pytest.raises(RatingRefused, match="只能追评一次"):
        second_rating(rating, Level.SATISFIED)
    with pytest.raises(RatingRefused, match="只有差评"):
        record_step(answer(prompt(), Level.SATISFIED, ASKED), Step.CALL_BACK, monday)


def test_one_appeal_decided_by_the_district_and_upheld_leaves_the_figures() -> None:
    rating = bad()
    with pytest.raises(RatingRefused, match="本人"):
        appeal(rating, "staff-8", "居民误评", ASKED + dt.timedelta(hours=1))
    with pytest.raises(RatingRefused, match="理由"):
        appeal(rating, "staff-7", " ", ASKED + dt.timedelta(hours=1))
    with pytest.raises(RatingRefused, match="没有待处理"):
        decide_appeal(rating, True, "district-1", ASKED)
    appealed = appeal(rating, "staff-7", "居民误按", ASKED + dt.timedelta(hours=1))
    with pytest.raises(RatingRefused, match="只能申诉一次"):
        appeal(appealed, "staff-7", "再申诉", ASKED + dt.timedelta(hours=2))
    assert appealed.counted  # pending: still in the figures
    upheld = decide_appeal(appealed, True, "district-1", ASKED + dt.timedelta(days=1))
    assert not upheld.counted and upheld.level is Level.UNSATISFIED  # kept, not counted
    with pytest.raises(RatingRefused, match="已有结论"):
        decide_appeal(upheld, False, "district-1", ASKED + dt.timedelta(days=2))
    rejected = decide_appeal(appealed, False, "district-1", ASKED + dt.timedelta(days=1))
    assert rejected.counted
    good = answer(prompt(), Level.VERY_SATISFIED, ASKED)
    assert figures([good, upheld], served=2, calendar=CAL).bad == 0
    assert figures([good, rejected], served=2, calendar=CAL).bad == 1


def test_figures() -> None:
    monday = dt.datetime(2026, 12, 7, 10, tzinfo=SH)
    on_time = record_step(bad(), Step.CALL_BACK, monday)
    late = record_step(bad(), Step.CALL_BACK, monday + dt.timedelta(days=2))
    late = record_step(
        record_step(late, Step.VERIFY, monday + dt.timedelta(days=2)),
        Step.FIX,
        monday + dt.timedelta(days=3),
    )
    good = [answer(prompt(), Level.SATISFIED, ASKED) for _ in range(5)]
    unrated = expire(prompt(), ASKED + dt.timedelta(minutes=5))
    assert unrated is not None
    f = figures([*good, on_time, late, bad(), unrated], served=10, calendar=CAL)
    assert (f.rated, f.good, f.bad) == (8, 5, 3)
    assert f.rated_rate == 0.8 and f.good_rate == 5 / 8 and f.bad_rate == 3 / 8
    assert (f.called_back, f.called_back_on_time, f.fixed, f.fixed_on_time) == (2, 1, 1, 1)
    assert f.call_back_rate == 2 / 3 and f.fix_rate == 1 / 3
    empty = figures([], served=0, calendar=CAL)
    assert empty.rated_rate is None and empty.good_rate is None
    with pytest.raises(ValueError, match="办结人次"):
        figures(good, served=2, calendar=CAL)


def test_a_burst_from_one_device_is_flagged() -> None:
    quick = [
        answer(prompt(subject=f"t{i}", at=t), Level.VERY_SATISFIED, t)
        for i, t in enumerate(ASKED + dt.timedelta(seconds=20 * i) for i in range(5))
    ]
    assert burst_flags(quick) == frozenset(quick)
    assert burst_flags(quick[:4]) == frozenset()
    spread = [
        answer(
            prompt(at=ASKED + dt.timedelta(minutes=3 * i)),
            Level.SATISFIED,
            ASKED + dt.timedelta(minutes=3 * i),
        )
        for i in range(10)
    ]
    assert burst_flags(spread) == frozenset()


moments = st.integers(0, 3600).map(lambda s: ASKED + dt.timedelta(seconds=s))
levels = st.sampled_from(list(Level))


@st.composite
def ratings(draw: st.DrawFn) -> Rating:
    asked = draw(moments)
    device = draw(st.sampled_from(["rating-1", "rating-2", "rating-3"]))
    p = prompt(device, asked)
    if draw(st.booleans()) and draw(st.booleans()):
        timed_out = expire(p, asked + DEVICE_TIMEOUT + dt.timedelta(seconds=1))
        assert timed_out is not None
        return timed_out
    level = draw(levels)
    reasons = draw(st.sets(st.sampled_from(list(Reason)), min_size=1)) if level.is_bad else set()
    rating = answer(
        p, level, asked + dt.timedelta(seconds=draw(st.integers(0, 60))), reasons=reasons
    )
    if draw(st.booleans()):
        rating = decide_appeal(
            appeal(rating, "staff-7", "误评", rating.at), draw(st.booleans()), "d", rating.at
        )
    return rating


@settings(max_examples=200, deadline=None)
@given(asked=moments, wait=st.integers(0, 600), level=levels)
def test_timing_out_never_gives_a_rating(asked: dt.datetime, wait: int, level: Level) -> None:
    p = prompt(at=asked)
    now = asked + dt.timedelta(seconds=wait)
    timed_out = expire(p, now)
    assert (timed_out is None) == (wait <= 60)
    if timed_out is not None:
        assert timed_out.level is None and not timed_out.counted
        with pytest.raises(RatingRefused):
            answer(p, level, now, reasons=[Reason.OTHER] if level.is_bad else [])


@settings(max_examples=200, deadline=None)
@given(batch=st.lists(ratings(), max_size=30), extra=st.integers(0, 20))
def test_figures_are_shares_and_upheld_appeals_drop_out(batch: list[Rating], extra: int) -> None:
    served = sum(r.level is not None for r in batch) + extra
    f = figures(batch, served, CAL)
    for rate in (f.rated_rate, f.good_rate, f.bad_rate, f.call_back_rate, f.fix_rate):
        assert rate is None or 0 <= rate <= 1
    if f.rated:
        assert f.good + f.bad == f.rated
    kept = [r for r in batch if not (r.appeal and r.appeal.upheld)]
    assert figures(kept, served, CAL) == f
    assert all(r.reasons for r in batch if r.level is not None and r.level.is_bad)


@settings(max_examples=200, deadline=None)
@given(batch=st.lists(ratings(), max_size=30), most=st.integers(1, 6))
def test_bursts_are_per_device_and_need_more_than_most(batch: list[Rating], most: int) -> None:
    flagged = burst_flags(batch, most=most)
    for device in {r.prompt.device for r in batch}:
        mine = [r for r in batch if r.prompt.device == device]
        assert burst_flags(mine, most=most) == {r for r in flagged if r.prompt.device == device}
        if sum(r.level is not None for r in mine) <= most:
            assert not any(r.prompt.device == device for r in flagged)
    assert all(r.level is not None for r in flagged)
