"""A hall's 走访规则: how often each tier is due, the new residents' first visit, the retry
after a miss, when a visit shows on the list and after how many misses the leader hears.

The rules are :class:`kiosk.core.visits.VisitPolicy` (its ranges: ``policy_problems``,
shown next to each field); they are stored by :func:`kiosk.server.visits.set_policy` and
every change is in the audit log (``admin_audit``). Due dates are computed from the visits
at every page, never stored, so a change shows on 今日走访 at once.

The hall's staff read the rules; editing is :func:`_may_edit`: the hall's leader and the
district admins."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.engine import Connection

from kiosk.core import clock
from kiosk.core.visits import VisitPolicy, policy_problems
from kiosk.server import models as m
from kiosk.server import visits
from kiosk.server.admin.drafts import audit
from kiosk.server.admin.visits import _zone
from kiosk.server.admin.web import (
    AdminPageError,
    HallScope,
    PostedForm,
    Runtime,
    redirect,
    render,
)
from kiosk.server.auth import StaffPrincipal
from kiosk.server.domain_errors import DomainError
from kiosk.server.runtime import Outbox

__all__ = ["POLICY_FIELDS", "router"]

router = APIRouter()

_WHOLE = re.compile(r"^\d{1,6}$")


@dataclass(frozen=True)
class PolicyField:
    """One rule on the form: its input name, the VisitPolicy field it sets and its unit."""

    name: str
    rule: str
    label: str
    unit: str
    help: str

    def of(self, policy: VisitPolicy) -> int:
        value = getattr(policy, self.rule)
        if isinstance(value, dt.timedelta):
            seconds = int(value.total_seconds())
            return seconds // 3600 if self.unit == "小时" else seconds // 86400
        return int(value)

    def rule_value(self, number: int) -> dt.timedelta | int:
        if self.unit == "天" and self.rule != "shown_before":
            return dt.timedelta(days=number)
        if self.unit == "小时":
            return dt.timedelta(hours=number)
        return number


POLICY_FIELDS = (
    PolicyField(
        "high_risk_days", "high_risk", "高风险户", "天", "高龄独居、空巢等：默认每周（7 天）一次"
    ),
    PolicyField("key_days", "key", "重点户", "天", "低保、残疾等：默认每月（30 天）一次"),
    PolicyField("general_days", "general", "一般户", "天", "默认每季度（91 天）一次"),
    PolicyField(
        "new_resident_days", "new_resident", "新住户首访", "天", "登记后多少天内上门（默认 7 天）"
    ),
    PolicyField(
        "retry_hours", "retry", "未见到本人后再访", "小时", "多少小时内再去一次（默认 48 小时）"
    ),
    PolicyField(
        "shown_before", "shown_before", "提前显示", "天", "到期前几天出现在今日走访（默认 2 天）"
    ),
    PolicyField(
        "misses_alert",
        "misses_alert",
        "连续未见提醒",
        "次",
        "连续几次未见到本人时提醒负责人（默认 2 次）",
    ),
)


def _may_edit(staff: StaffPrincipal, hall_id: str) -> bool:
    """Who may change the rules: the hall's leader and the district admins."""
    return staff.may_lead(hall_id)


def _stored(conn: Connection, hall_id: str) -> tuple[VisitPolicy, Any]:
    p, a = m.visit_policies, m.staff_accounts
    row = conn.execute(
        sa.select(p.c.updated_at, a.c.username)
        .select_from(p.outerjoin(a, a.c.id == p.c.updated_by))
        .where(p.c.hall_id == hall_id)
    ).first()
    return visits.policy_of(conn, hall_id), row


def _page(
    request: Request,
    runtime: Any,
    hall: HallScope,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    changed: Any,
    status: int = 200,
) -> Response:
    return render(
        request,
        "admin/visits_policy.html",
        {
            "hall": hall,
            "fields": POLICY_FIELDS,
            "values": values,
            "errors": errors,
            "defaults": {f.name: f.of(VisitPolicy()) for f in POLICY_FIELDS},
            "may_edit": _may_edit(hall.session.staff, hall.id),
            "changed": changed,
            "zone": _zone(runtime, hall.id),
        },
        status_code=status,
    )


@router.get("/visits/halls/{hall_id}/policy")
async def policy_page(request: Request, runtime: Runtime, hall: HallScope) -> Response:
    """The hall's visit rules (a form for those who may change them)."""
    policy, changed = await runtime.db.read(lambda c: _stored(c, hall.id))
    values = {f.name: str(f.of(policy)) for f in POLICY_FIELDS}
    return _page(request, runtime, hall, values=values, errors={}, changed=changed)


def _parsed(values: dict[str, str]) -> tuple[dict[str, int], dict[str, str]]:
    numbers: dict[str, int] = {}
    errors: dict[str, str] = {}
    for f in POLICY_FIELDS:
        typed = values[f.name]
        if not typed:
            errors[f.name] = f"请填写{f.label}（{f.unit}）"
        elif not _WHOLE.match(typed):
            errors[f.name] = f"请填写整数（{f.unit}），例如 {f.of(VisitPolicy())}"
        else:
            numbers[f.name] = int(typed)
    # The fields not typed as numbers count as their defaults, so the others are still
    # checked (and each message stays next to the field that caused it).
    default = VisitPolicy()
    rules: dict[str, Any] = {
        f.rule: f.rule_value(numbers[f.name]) if f.name in numbers else getattr(default, f.rule)
        for f in POLICY_FIELDS
    }
    by_rule = {f.rule: f.name for f in POLICY_FIELDS}
    for rule, message in policy_problems(**rules).items():
        errors.setdefault(by_rule[rule], message)
    return numbers, errors


def _changes(before: VisitPolicy, after: VisitPolicy) -> str:
    return "；".join(
        f"{f.label} {f.of(before)}→{f.of(after)} {f.unit}"
        for f in POLICY_FIELDS
        if f.of(before) != f.of(after)
    )


@router.post("/visits/halls/{hall_id}/policy")
async def save_policy(
    request: Request, runtime: Runtime, hall: HallScope, posted: PostedForm
) -> Response:
    """Check every field (Chinese message next to it, what was typed kept), then store."""
    session = posted.session
    if not _may_edit(session.staff, hall.id):
        raise AdminPageError(403, "只有本大厅负责人或街道管理员可以修改走访规则")
    values = {f.name: posted.text(f.name)[:20] for f in POLICY_FIELDS}
    numbers, errors = _parsed(values)
    if errors:
        changed = await runtime.db.read(lambda c: _stored(c, hall.id)[1])
        return _page(
            request, runtime, hall, values=values, errors=errors, changed=changed, status=422
        )

    def op(conn: Connection, _outbox: Outbox) -> str:
        before = visits.policy_of(conn, hall.id)
        after = visits.set_policy(
            conn, hall.id, **numbers, by=session.staff.account_id, at=clock.now()
        )
        detail = _changes(before, after)
        audit(conn, session, "visit_policy", hall.id, target="走访规则", detail=detail)
        return detail

    try:
        detail = await runtime.write(op)
    except DomainError as exc:
        changed = await runtime.db.read(lambda c: _stored(c, hall.id)[1])
        return _page(
            request,
            runtime,
            hall,
            values=values,
            errors={"": exc.message},
            changed=changed,
            status=422,
        )
    said = f"走访规则已保存：{detail}" if detail else "走访规则已保存（没有改动）"
    return redirect(f"/admin/visits/halls/{hall.id}/policy", said)
