"""五必访: which households need visiting, when each is due, and what a missed visit means.

A household's tier (高风险 / 重点 / 一般) is suggested from its tags (:func:`suggest_tier`)
and set by staff. Its next visit is due an interval after the last time someone saw a
member in person (weekly / monthly / quarterly by default, per hall: :class:`VisitPolicy`);
a household never visited is due within 7 days of being registered if it is a 新住户,
else one interval after; a district event (寒潮预警) makes the households of its tiers due
within 24 h unless seen since it was declared; a visit that did not see the resident
(未见到本人) makes a retry due within 48 h, and two such misses in a row raise an alert.

A due visit shows on the staff member's list from 2 days before its due date, amber on
the due date and red from the day after (dates in the hall's zone): :func:`visit_light`.
Visits are counted in calendar days: people need seeing on holidays too.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

from kiosk.core.clock import DEFAULT_TIMEZONE, hall_zone

__all__ = [
    "HIGH_RISK_TAGS",
    "KEY_TAGS",
    "NEW_RESIDENT_TAG",
    "DistrictEvent",
    "Household",
    "Light",
    "Tier",
    "Visit",
    "VisitOutcome",
    "VisitPolicy",
    "Way",
    "due_at",
    "policy_problems",
    "record_visit",
    "suggest_tier",
    "todays_list",
    "visit_light",
]


class Tier(StrEnum):
    HIGH_RISK = "high_risk"
    KEY = "key"
    GENERAL = "general"

    @property
    def label(self) -> str:
        return {"high_risk": "高风险", "key": "重点", "general": "一般"}[self]


HIGH_RISK_TAGS = frozenset({"高龄独居", "空巢", "独居", "重病", "失能"})
KEY_TAGS = frozenset({"低保", "特困", "残疾", "优抚", "困境儿童", "失独"})
NEW_RESIDENT_TAG = "新住户"


def suggest_tier(
    tags: Iterable[str],
    *,
    high_risk: frozenset[str] = HIGH_RISK_TAGS,
    key: frozenset[str] = KEY_TAGS,
) -> Tier:
    """The tier the tags suggest (staff may set another): the highest any tag asks for."""
    found = {str(tag).strip() for tag in tags}
    if found & high_risk:
        return Tier.HIGH_RISK
    if found & key:
        return Tier.KEY
    return Tier.GENERAL


class Way(StrEnum):
    HOME = "home"
    PHONE = "phone"
    VIDEO = "video"

    @property
    def label(self) -> str:
        return {"home": "入户", "phone": "电话", "video": "视频"}[self]


@dataclass(frozen=True)
class VisitPolicy:
    """A hall's visit rules; the defaults are the provincial practice."""

    high_risk: dt.timedelta = dt.timedelta(days=7)
    key: dt.timedelta = dt.timedelta(days=30)
    general: dt.timedelta = dt.timedelta(days=91)
    new_resident: dt.timedelta = dt.timedelta(days=7)
    retry: dt.timedelta = dt.timedelta(hours=48)
    shown_before: int = 2
    """Days before the due date a visit appears on the list."""
    misses_alert: int = 2

    def __post_init__(self) -> None:
        problems = policy_problems(
            high_risk=self.high_risk,
            key=self.key,
            general=self.general,
            new_resident=self.new_resident,
            retry=self.retry,
            shown_before=self.shown_before,
            misses_alert=self.misses_alert,
        )
        if problems:
            raise ValueError("；".join(dict.fromkeys(problems.values())))

    def interval(self, tier: Tier) -> dt.timedelta:
        return {Tier.HIGH_RISK: self.high_risk, Tier.KEY: self.key, Tier.GENERAL: self.general}[
            tier
        ]


def policy_problems(
    *,
    high_risk: dt.timedelta,
    key: dt.timedelta,
    general: dt.timedelta,
    new_resident: dt.timedelta,
    retry: dt.timedelta,
    shown_before: int,
    misses_alert: int,
) -> dict[str, str]:
    """What is wrong with these rules, by :class:`VisitPolicy` field (empty: all fine).

    A form shows each message next to its field; :class:`VisitPolicy` refuses with them."""
    day, year = dt.timedelta(days=1), dt.timedelta(days=366)
    order = "走访周期应满足 1 天 ≤ 高风险 ≤ 重点 ≤ 一般 ≤ 1 年"
    out: dict[str, str] = {}
    for name, value in (("high_risk", high_risk), ("key", key), ("general", general)):
        if not day <= value <= year:
            out[name] = order
    if not out:
        if high_risk > key:
            out["high_risk"] = order
        elif key > general:
            out["key"] = order
    if not day <= new_resident <= dt.timedelta(days=30):
        out["new_resident"] = "新住户首访时限应在 1–30 天之间"
    if not dt.timedelta(hours=1) <= retry <= dt.timedelta(days=7):
        out["retry"] = "未见到本人后的再访时限应在 1 小时到 7 天之间"
    if not 0 <= shown_before <= 14:
        out["shown_before"] = "提前显示天数应在 0–14 之间"
    if not 1 <= misses_alert <= 5:
        out["misses_alert"] = "连续未见提醒次数应在 1–5 之间"
    return out


@dataclass(frozen=True)
class DistrictEvent:
    """寒潮预警, 高温预警 …: households of ``tiers`` are due within ``within``."""

    name: str
    declared_at: dt.datetime
    within: dt.timedelta = dt.timedelta(hours=24)
    tiers: frozenset[Tier] = frozenset({Tier.HIGH_RISK})


@dataclass(frozen=True)
class Visit:
    at: dt.datetime
    way: Way
    seen: bool
    """Someone of the household was seen (or, by phone or video, spoken to) in person."""
    checklist: frozenset[str] = frozenset()
    needs: str = ""


@dataclass(frozen=True)
class Household:
    """What the visit plan needs to know of a household (no names, no phones)."""

    id: str
    tier: Tier
    registered_at: dt.datetime
    address: str = ""
    tags: frozenset[str] = frozenset()
    last_seen_at: dt.datetime | None = None
    misses_in_row: int = 0
    last_miss_at: dt.datetime | None = None
    visits: tuple[Visit, ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class VisitOutcome:
    household: Household
    alert: str | None
    """For the leader: set when the misses in a row reach the policy's count."""


def due_at(
    household: Household,
    policy: VisitPolicy | None = None,
    events: Sequence[DistrictEvent] = (),
) -> dt.datetime:
    """When the household's next visit is due: the earliest rule that applies."""
    policy = policy or VisitPolicy()
    seen = household.last_seen_at
    if seen is not None:
        due = seen + policy.interval(household.tier)
    elif NEW_RESIDENT_TAG in household.tags:
        due = household.registered_at + min(policy.new_resident, policy.interval(household.tier))
    else:
        due = household.registered_at + policy.interval(household.tier)
    if household.misses_in_row and household.last_miss_at is not None:
        due = min(due, household.last_miss_at + policy.retry)
    for event in events:
        if household.tier in event.tiers and (seen is None or seen < event.declared_at):
            due = min(due, event.declared_at + event.within)
    return due


def record_visit(
    household: Household, visit: Visit, policy: VisitPolicy | None = None
) -> VisitOutcome:
    """The household after ``visit``; an alert after too many misses in a row."""
    policy = policy or VisitPolicy()
    if visit.at.utcoffset() is None:
        raise ValueError("时间必须带时区")
    latest = max((v.at for v in household.visits), default=None)
    if latest is not None and visit.at < latest:
        raise ValueError("走访时间早于上一次走访记录，请核对日期")
    visits = (*household.visits, visit)
    if visit.seen:
        after = dataclasses.replace(
            household, last_seen_at=visit.at, misses_in_row=0, last_miss_at=None, visits=visits
        )
        return VisitOutcome(after, None)
    misses = household.misses_in_row + 1
    after = dataclasses.replace(
        household, misses_in_row=misses, last_miss_at=visit.at, visits=visits
    )
    alert = None
    if misses >= policy.misses_alert:
        alert = f"{household.address or household.id}：连续 {misses} 次走访未见到本人，请负责人跟进"
    return VisitOutcome(after, alert)


class Light(IntEnum):
    """Ordered: a visit only ever gets more urgent as time passes."""

    HIDDEN = 0
    UPCOMING = 1
    AMBER = 2
    RED = 3


def visit_light(
    due: dt.datetime,
    now: dt.datetime,
    policy: VisitPolicy | None = None,
    tz: dt.tzinfo | str = DEFAULT_TIMEZONE,
) -> Light:
    """Hidden until ``shown_before`` days ahead, amber on the due date, red the day after."""
    policy = policy or VisitPolicy()
    if due.utcoffset() is None or now.utcoffset() is None:
        raise ValueError("时间必须带时区")
    zone = hall_zone(tz)
    today, due_day = now.astimezone(zone).date(), due.astimezone(zone).date()
    if today > due_day:
        return Light.RED
    if today == due_day:
        return Light.AMBER
    if today >= due_day - dt.timedelta(days=policy.shown_before):
        return Light.UPCOMING
    return Light.HIDDEN


def todays_list(
    households: Iterable[Household],
    now: dt.datetime,
    policy: VisitPolicy | None = None,
    events: Sequence[DistrictEvent] = (),
) -> list[tuple[Household, dt.datetime, Light]]:
    """The visits to show now: overdue first, then by due time, then by address."""
    shown: list[tuple[Household, dt.datetime, Light]] = []
    for household in households:
        due = due_at(household, policy, events)
        light = visit_light(due, now, policy)
        if light is not Light.HIDDEN:
            shown.append((household, due, light))
    shown.sort(key=lambda row: (-row[2], row[1], row[0].address))
    return shown
