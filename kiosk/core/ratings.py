"""好差评: rating a finished service, the follow-up of every bad rating, and the figures.

Five levels from 非常满意 to 非常不满意 (GB/T 39734-2020); 不满意 and 非常不满意 are a 差评
and need at least one reason. At the counter's rating device the resident has
:data:`DEVICE_TIMEOUT` to answer, then the prompt becomes 未评价 — never a default good
rating; on the phone page a ticket may be rated for :data:`PAGE_WINDOW`, a request for
its own 14 days (``kiosk.core.request_states.RATING_WINDOW``, passed as ``window``).

Every 差评 opens a 整改 (:class:`Rectification`): called back, verified and fixed within
working-day limits (:class:`RectificationPolicy`, 1 / 3 / 15 by default, per district);
then the resident may add one 追评. The staff member may appeal (申诉) once; an upheld
appeal keeps the rating but leaves it out of :func:`figures`. :func:`burst_flags` marks
ratings that came too fast from one device for review. See docs/SERVICE_TRACKING.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from kiosk.core.workdays import WorkCalendar

__all__ = [
    "DEVICE_TIMEOUT",
    "PAGE_WINDOW",
    "Appeal",
    "Channel",
    "Figures",
    "Level",
    "Rating",
    "RatingPrompt",
    "RatingRefused",
    "Reason",
    "Rectification",
    "RectificationPolicy",
    "Step",
    "answer",
    "appeal",
    "burst_flags",
    "decide_appeal",
    "expire",
    "figures",
    "record_step",
    "second_rating",
    "step_due",
]

DEVICE_TIMEOUT = dt.timedelta(seconds=60)
PAGE_WINDOW = dt.timedelta(days=3)


class Level(StrEnum):
    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    FAIR = "fair"
    UNSATISFIED = "unsatisfied"
    VERY_UNSATISFIED = "very_unsatisfied"

    @property
    def label(self) -> str:
        return _LEVEL_LABELS[self]

    @property
    def is_bad(self) -> bool:
        """差评: the two lowest levels."""
        return self in (Level.UNSATISFIED, Level.VERY_UNSATISFIED)


_LEVEL_LABELS = dict(
    zip(Level, ("非常满意", "满意", "基本满意", "不满意", "非常不满意"), strict=True)
)


class Reason(StrEnum):
    ATTITUDE = "attitude"
    EFFICIENCY = "efficiency"
    UNFAMILIAR = "unfamiliar"
    GUIDE = "guide"
    WAITING = "waiting"
    ENVIRONMENT = "environment"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _REASON_LABELS[self]


_REASON_LABELS = dict(
    zip(Reason, ("态度", "效率", "业务不熟", "指南不准确", "等候太久", "环境", "其他"), strict=True)
)


class Channel(StrEnum):
    DEVICE = "device"
    PHONE_PAGE = "phone_page"


class Step(StrEnum):
    CALL_BACK = "call_back"
    VERIFY = "verify"
    FIX = "fix"

    @property
    def label(self) -> str:
        return {"call_back": "回访", "verify": "核实", "fix": "整改答复"}[self]


class RatingRefused(ValueError):
    """A rating, step or appeal the rules do not allow; the message is for a person."""


@dataclass(frozen=True)
class RectificationPolicy:
    """Working days from the 差评 to each step (a district may shorten fixing to 7 or 5)."""

    call_back: int = 1
    verify: int = 3
    fix: int = 15

    def __post_init__(self) -> None:
        if not 1 <= self.call_back <= self.verify <= self.fix <= 60:
            raise ValueError("整改时限应满足 1 ≤ 回访 ≤ 核实 ≤ 整改 ≤ 60 个工作日")

    def days(self, step: Step) -> int:
        return {Step.CALL_BACK: self.call_back, Step.VERIFY: self.verify, Step.FIX: self.fix}[step]


@dataclass(frozen=True)
class Rectification:
    opened_at: dt.datetime
    called_back_at: dt.datetime | None = None
    verified_at: dt.datetime | None = None
    fixed_at: dt.datetime | None = None

    def done_at(self, step: Step) -> dt.datetime | None:
        return {
            Step.CALL_BACK: self.called_back_at,
            Step.VERIFY: self.verified_at,
            Step.FIX: self.fixed_at,
        }[step]


@dataclass(frozen=True)
class Appeal:
    by: str
    reason: str
    at: dt.datetime
    upheld: bool | None = None
    """None while the district has not decided."""
    decided_by: str | None = None
    decided_at: dt.datetime | None = None


@dataclass(frozen=True)
class RatingPrompt:
    """The question put to the resident once a service is finished."""

    subject: str
    """The ticket or request rated (one rating each)."""
    staff: str
    service: str
    window: int
    device: str
    asked_at: dt.datetime
    channel: Channel = Channel.DEVICE


@dataclass(frozen=True)
class Rating:
    prompt: RatingPrompt
    level: Level | None
    """None: 未评价 (the prompt timed out)."""
    at: dt.datetime
    reasons: frozenset[Reason] = frozenset()
    named: bool = False
    """The resident left a phone (实名)."""
    rectification: Rectification | None = None
    second_level: Level | None = None
    """The one 追评, after the fix."""
    appeal: Appeal | None = None

    @property
    def counted(self) -> bool:
        """In the figures: answered, and not taken out by an upheld appeal."""
        return self.level is not None and not (self.appeal and self.appeal.upheld)


def answer(
    prompt: RatingPrompt,
    level: Level | str,
    at: dt.datetime,
    *,
    reasons: Iterable[Reason | str] = (),
    named: bool = False,
    rater_is_staff: bool = False,
    window: dt.timedelta | None = None,
) -> Rating:
    """The resident's rating; a 差评 opens its 整改 at once.

    ``window`` is how long the phone page may rate the subject (:data:`PAGE_WINDOW` for a
    ticket when not given; a request passes its own); the device's limit is fixed."""
    if rater_is_staff:
        raise RatingRefused("工作人员账号不能评价")
    _need_aware(at)
    try:
        level = Level(level)
        chosen = frozenset(Reason(r) for r in reasons)
    except ValueError:
        raise RatingRefused("请选择五个等级之一，差评请选择原因") from None
    page = window if window is not None else PAGE_WINDOW
    limit = DEVICE_TIMEOUT if prompt.channel is Channel.DEVICE else page
    if at < prompt.asked_at:
        raise RatingRefused("评价时间早于邀请评价的时间，请检查系统时间")
    if at > prompt.asked_at + limit:
        late = f"评价已过期（{page.days} 天内可评）"
        if prompt.channel is Channel.DEVICE:
            late = "评价已超时"
        raise RatingRefused(late)
    if level.is_bad and not chosen:
        raise RatingRefused("请至少选择一项不满意的原因")
    if not level.is_bad and chosen:
        raise RatingRefused("只有不满意或非常不满意时才需要选择原因")
    opened = Rectification(opened_at=at) if level.is_bad else None
    return Rating(prompt, level, at, chosen, named, rectification=opened)


def expire(prompt: RatingPrompt, now: dt.datetime) -> Rating | None:
    """未评价 once the device's 60 s are over; None while the resident may still answer."""
    if prompt.channel is not Channel.DEVICE or now <= prompt.asked_at + DEVICE_TIMEOUT:
        return None
    return Rating(prompt, None, prompt.asked_at + DEVICE_TIMEOUT)


def step_due(
    rating: Rating, step: Step, calendar: WorkCalendar, policy: RectificationPolicy
) -> dt.datetime:
    """When ``step`` of the rating's 整改 is due (working days from the 差评)."""
    if rating.rectification is None:
        raise RatingRefused("只有差评需要整改")
    return calendar.add_workdays(rating.rectification.opened_at, policy.days(step))


def record_step(rating: Rating, step: Step, at: dt.datetime) -> Rating:
    """The 整改 with ``step`` done at ``at``: in order 回访 → 核实 → 整改答复, each once."""
    rect = rating.rectification
    if rect is None:
        raise RatingRefused("只有差评需要整改")
    _need_aware(at)
    order = list(Step)
    if rect.done_at(step) is not None:
        raise RatingRefused(f"{step.label}已记录过")
    before = order[order.index(step) - 1] if step is not Step.CALL_BACK else None
    if before is not None and rect.done_at(before) is None:
        raise RatingRefused(f"请先完成{before.label}")
    last = rect.done_at(before) if before else rect.opened_at
    if last is not None and at < last:
        raise RatingRefused("时间早于上一步，请检查系统时间")
    name = {Step.CALL_BACK: "called_back_at", Step.VERIFY: "verified_at", Step.FIX: "fixed_at"}
    return dataclasses.replace(rating, rectification=dataclasses.replace(rect, **{name[step]: at}))


def second_rating(rating: Rating, level: Level | str) -> Rating:
    """The resident's one 追评, once the 整改 is answered."""
    if rating.rectification is None or rating.rectification.fixed_at is None:
        raise RatingRefused("整改答复后才能追评")
    if rating.second_level is not None:
        raise RatingRefused("已追评过，只能追评一次")
    try:
        return dataclasses.replace(rating, second_level=Level(level))
    except ValueError:
        raise RatingRefused("请选择五个等级之一") from None


def appeal(rating: Rating, by: str, reason: str, at: dt.datetime) -> Rating:
    """The rated staff member's one 申诉, with a reason."""
    if rating.level is None:
        raise RatingRefused("未评价的记录无需申诉")
    _need_aware(at)
    if by != rating.prompt.staff:
        raise RatingRefused("只有被评价的工作人员本人可以申诉")
    if rating.appeal is not None:
        raise RatingRefused("每条评价只能申诉一次")
    if not isinstance(reason, str) or not reason.strip():
        raise RatingRefused("申诉须写明理由")
    return dataclasses.replace(rating, appeal=Appeal(by, reason.strip(), at))


def decide_appeal(rating: Rating, upheld: bool, by: str, at: dt.datetime) -> Rating:
    """The district admin's decision; upheld keeps the rating out of the figures."""
    if rating.appeal is None:
        raise RatingRefused("没有待处理的申诉")
    if rating.appeal.upheld is not None:
        raise RatingRefused("申诉已有结论")
    _need_aware(at)
    if at < rating.appeal.at:
        raise RatingRefused("时间早于申诉时间，请检查系统时间")
    decided = dataclasses.replace(rating.appeal, upheld=upheld, decided_by=by, decided_at=at)
    return dataclasses.replace(rating, appeal=decided)


@dataclass(frozen=True)
class Figures:
    served: int
    rated: int
    good: int
    bad: int
    called_back: int
    called_back_on_time: int
    fixed: int
    fixed_on_time: int

    @property
    def rated_rate(self) -> float | None:
        """主动评价率: rated ÷ served."""
        return _share(self.rated, self.served)

    @property
    def good_rate(self) -> float | None:
        """好评率 (非常满意、满意、基本满意 ÷ rated)."""
        return _share(self.good, self.rated)

    @property
    def bad_rate(self) -> float | None:
        """差评率."""
        return _share(self.bad, self.rated)

    @property
    def call_back_rate(self) -> float | None:
        """回访率: 差评 called back ÷ 差评."""
        return _share(self.called_back, self.bad)

    @property
    def fix_rate(self) -> float | None:
        """整改率: 差评 fixed and answered ÷ 差评."""
        return _share(self.fixed, self.bad)


def figures(
    ratings: Sequence[Rating],
    served: int,
    calendar: WorkCalendar,
    policy: RectificationPolicy | None = None,
) -> Figures:
    """The figures over ``ratings`` (one staff member, window, service, hall or month)."""
    policy = policy or RectificationPolicy()
    if served < sum(r.level is not None for r in ratings):
        raise ValueError("办结人次不能少于评价次数")
    counted = [r for r in ratings if r.counted]
    bad = [r for r in counted if r.level is not None and r.level.is_bad]
    steps = {Step.CALL_BACK: [0, 0], Step.FIX: [0, 0]}
    for rating in bad:
        assert rating.rectification is not None
        for step, tally in steps.items():
            done = rating.rectification.done_at(step)
            if done is not None:
                tally[0] += 1
                tally[1] += done <= step_due(rating, step, calendar, policy)
    return Figures(
        served=served,
        rated=len(counted),
        good=len(counted) - len(bad),
        bad=len(bad),
        called_back=steps[Step.CALL_BACK][0],
        called_back_on_time=steps[Step.CALL_BACK][1],
        fixed=steps[Step.FIX][0],
        fixed_on_time=steps[Step.FIX][1],
    )


def _need_aware(at: dt.datetime) -> None:
    if not isinstance(at, dt.datetime) or at.utcoffset() is None:
        raise RatingRefused("时间必须带时区")


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def burst_flags(
    ratings: Iterable[Rating],
    *,
    window: dt.timedelta = dt.timedelta(minutes=2),
    most: int = 4,
) -> frozenset[Rating]:
    """Ratings from a device that gave more than ``most`` answers within ``window``."""
    by_device: dict[str, list[Rating]] = defaultdict(list)
    for rating in ratings:
        if rating.level is not None:
            by_device[rating.prompt.device].append(rating)
    flagged: set[Rating] = set()
    for answered in by_device.values():
        answered.sort(key=lambda r: r.at)
        first = 0
        for last, rating in enumerate(answered):
            while rating.at - answered[first].at > window:
                first += 1
            if last - first + 1 > most:
                flagged.update(answered[first : last + 1])
    return frozenset(flagged)
