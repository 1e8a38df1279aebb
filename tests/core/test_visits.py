"""五必访: tiers from tags, due dates by tier, new residents, events, retries, alerts, lights."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core.clock import HALL_TZ
from kiosk.core.privacy import mask_id_number, mask_phone
from kiosk.core.visits import (
    HIGH_RISK_TAGS,
    KEY_TAGS,
    DistrictEvent,
    Household,
    Light,
    Tier,
    Visit,
    VisitPolicy,
    Way,
    due_at,
    record_visit,
    suggest_tier,
    todays_list,
    visit_light,
)

SH = HALL_TZ
DAY = dt.timedelta(days=1)


def at(m: int, d: int, h: int = 9) -> dt.datetime:
    return dt.datetime(2026, m, d, h, tzinfo=SH)


def home(
    tier: Tier = Tier.HIGH_RISK, *, tags: frozenset[str] = frozenset(), **kw: object
) -> Household:
    return Household("h1", tier, at(11, 1), "3-2-501", tags, **kw)  # type: ignore[arg-type]


def seen(when: dt.datetime) -> Visit:
    return Visit(when, Way.HOME, True, frozenset({"燃气", "用电"}))


def missed(when: dt.datetime) -> Visit:
    return Visit(when, Way.HOME, False)


def test_mask_phone() -> None:
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("138 1234 1234") == "138****1234"
    assert mask_phone("+86 138-1234-1234") == "138****1234"
    assert mask_phone("12345") == "*****" and mask_phone("") == "****"
    assert mask_phone("028-85551234") == "028****1234"
    assert mask_phone("0755-855512345") == "075******2345"
    assert mask_id_number("510104195001011234") == "5101**********1234"


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_a_masked_mobile_keeps_only_its_ends(phone: str) -> None:
    masked = mask_phone(phone)
    assert masked == phone[:3] + "****" + phone[-4:]
    assert len(masked) == 11 and masked[3:7] == "****"


def test_tiers_from_tags() -> None:
    assert suggest_tier(["高龄独居"]) is Tier.HIGH_RISK
    assert suggest_tier(["空巢", "低保"]) is Tier.HIGH_RISK
    assert suggest_tier(["低保"]) is Tier.KEY
    assert suggest_tier(["残疾"]) is Tier.KEY and suggest_tier(["特困"]) is Tier.KEY
    assert suggest_tier(["新住户"]) is Tier.GENERAL and suggest_tier([]) is Tier.GENERAL
    assert suggest_tier(["党员"], key=frozenset({"党员"})) is Tier.KEY


def test_due_by_tier_after_the_last_visit_seen() -> None:
    for tier, days in ((Tier.HIGH_RISK, 7), (Tier.KEY, 30), (Tier.GENERAL, 91)):
        h = record_visit(home(tier), seen(at(12, 1))).household
        assert due_at(h) == at(12, 1) + days * DAY
    weekly_by_hall = VisitPolicy(key=dt.timedelta(days=14))
    assert due_at(record_visit(home(Tier.KEY), seen(at(12, 1))).household, weekly_by_hall) == at(
        12, 15
    )
    with pytest.raises(ValueError, match="走访周期"):
        VisitPolicy(high_risk=dt.timedelta(days=40))


def test_new_residents_within_seven_days() -> None:
    assert due_at(home(Tier.GENERAL, tags=frozenset({"新住户"}))) == at(11, 8)
    assert due_at(home(Tier.GENERAL)) == at(11, 1) + 91 * DAY


def test_a_cold_wave_makes_high_risk_due_within_24_hours() -> None:
    cold = DistrictEvent("寒潮预警", at(12, 2, 18))
    h = record_visit(home(), seen(at(12, 1))).household
    assert due_at(h, events=[cold]) == at(12, 3, 18)
    key = record_visit(home(Tier.KEY), seen(at(12, 1))).household
    assert due_at(key, events=[cold]) == at(12, 31)  # not a high-risk household
    after = record_visit(h, seen(at(12, 3, 10))).household
    assert due_at(after, events=[cold]) == at(12, 10, 10)  # seen since the warning


def test_a_miss_means_a_retry_within_48_hours_and_two_raise_an_alert() -> None:
    h = record_visit(home(), seen(at(12, 1))).household
    first = record_visit(h, missed(at(12, 7)))
    assert first.alert is None and due_at(first.household) == at(12, 8)  # the weekly is earlier
    k = record_visit(home(Tier.KEY), seen(at(12, 1))).household
    k1 = record_visit(k, missed(at(12, 20)))
    assert due_at(k1.household) == at(12, 22)
    k2 = record_visit(k1.household, missed(at(12, 22)))
    assert k2.alert is not None and "连续 2 次" in k2.alert and "3-2-501" in k2.alert
    k3 = record_visit(k2.household, seen(at(12, 23)))
    assert k3.alert is None and k3.household.misses_in_row == 0
    with pytest.raises(ValueError, match="早于上一次"):
        record_visit(k3.household, seen(at(12, 22)))
    with pytest.raises(ValueError, match="时区"):
        record_visit(k3.household, seen(dt.datetime(2026, 12, 24, 9)))


def test_lights_two_days_before_amber_on_the_day_red_the_day_after() -> None:
    due = at(12, 10, 15)
    assert visit_light(due, at(12, 7, 23)) is Light.HIDDEN
    assert visit_light(due, at(12, 8, 0)) is Light.UPCOMING
    assert visit_light(due, at(12, 10, 0)) is Light.AMBER
    assert visit_light(due, at(12, 10, 23)) is Light.AMBER
    assert visit_light(due, at(12, 11, 0)) is Light.RED
    with pytest.raises(ValueError, match="时区"):
        visit_light(due, dt.datetime(2026, 12, 10, 9))
    # Days are the hall's: 23:30 UTC on the 9th is already the 10th in Shanghai.
    assert visit_light(due, dt.datetime(2026, 12, 9, 16, 30, tzinfo=dt.UTC)) is Light.AMBER


def test_todays_list_puts_overdue_first() -> None:
    late = record_visit(
        Household("a", Tier.HIGH_RISK, at(11, 1), "9-1-101"), seen(at(11, 30))
    ).household
    today = record_visit(
        Household("b", Tier.HIGH_RISK, at(11, 1), "1-1-101"), seen(at(12, 3))
    ).household
    soon = record_visit(
        Household("c", Tier.HIGH_RISK, at(11, 1), "2-1-101"), seen(at(12, 4))
    ).household
    later = record_visit(Household("d", Tier.KEY, at(11, 1), "1-1-102"), seen(at(12, 4))).household
    rows = todays_list([soon, later, today, late], at(12, 10, 8))
    assert [(h.id, light) for h, _, light in rows] == [
        ("a", Light.RED),
        ("b", Light.AMBER),
        ("c", Light.UPCOMING),
    ]


moments = st.integers(0, 60 * 24 * 90).map(lambda m: at(9, 1) + dt.timedelta(minutes=m))
visit_steps = st.lists(st.tuples(st.integers(0, 60 * 24 * 20), st.booleans()), max_size=15)
tiers = st.sampled_from(list(Tier))


@settings(max_examples=200, deadline=None)
@given(tier=tiers, steps=visit_steps, declared=st.none() | moments)
def test_due_never_later_than_the_tier_and_misses_alert_in_a_row(
    tier: Tier, steps: list[tuple[int, bool]], declared: dt.datetime | None
) -> None:
    policy = VisitPolicy()
    events = [DistrictEvent("寒潮预警", declared)] if declared else []
    h, when, in_row = home(tier), at(9, 1), 0
    for gap, was_seen in steps:
        when += dt.timedelta(minutes=gap)
        outcome = record_visit(h, Visit(when, Way.PHONE, was_seen), policy)
        h = outcome.household
        in_row = 0 if was_seen else in_row + 1
        assert h.misses_in_row == in_row
        assert (outcome.alert is not None) == (in_row >= policy.misses_alert)
        due = due_at(h, policy, events)
        if h.last_seen_at is not None:
            assert due <= h.last_seen_at + policy.interval(tier)
        if in_row:
            assert due <= when + policy.retry
        if (
            declared
            and tier is Tier.HIGH_RISK
            and (h.last_seen_at is None or h.last_seen_at < declared)
        ):
            assert due <= declared + dt.timedelta(hours=24)


@given(due=moments, now=moments, later=st.integers(0, 60 * 24 * 30))
def test_a_visit_only_gets_more_urgent(due: dt.datetime, now: dt.datetime, later: int) -> None:
    assert visit_light(due, now) <= visit_light(due, now + dt.timedelta(minutes=later))
    if now <= due - 3 * DAY:
        assert visit_light(due, now) is Light.HIDDEN
    if now >= due + DAY:
        assert visit_light(due, now) is Light.RED


@given(
    tags=st.sets(st.sampled_from(sorted(HIGH_RISK_TAGS | KEY_TAGS | {"新住户", "党员"}))),
    more=st.sets(st.sampled_from(sorted(HIGH_RISK_TAGS | KEY_TAGS | {"新住户"}))),
)
def test_more_tags_never_lower_the_tier(tags: set[str], more: set[str]) -> None:
    rank = [Tier.GENERAL, Tier.KEY, Tier.HIGH_RISK]
    assert rank.index(suggest_tier(tags | more)) >= rank.index(suggest_tier(tags))
