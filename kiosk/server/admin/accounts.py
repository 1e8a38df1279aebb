"""For district administrators: staff accounts (add, disable, enable, new password) and
kiosks (add → its token is shown once; revoke)."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.engine import Connection

from kiosk.core.values import RowId, check_text
from kiosk.server import models as m
from kiosk.server.admin.drafts import audit
from kiosk.server.admin.fleet import ago, fleet_rows
from kiosk.server.admin.sessions import end_all_logins
from kiosk.server.admin.web import (
    AdminPageError,
    DistrictAdmin,
    PostedForm,
    Runtime,
    redirect,
    render,
)
from kiosk.server.auth import (
    HALL_ROLES,
    ROLE_LABELS,
    ROLES,
    create_kiosk,
    create_staff,
    hash_password,
)
from kiosk.server.db import utcnow
from kiosk.server.runtime import ServerRuntime

__all__ = ["router"]

router = APIRouter()

_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")
MIN_PASSWORD = 10


def _halls(conn: Connection) -> list[Any]:
    return list(conn.execute(sa.select(m.halls.c.id, m.halls.c.name).order_by(m.halls.c.id)))


def _accounts(conn: Connection) -> list[Any]:
    a = m.staff_accounts
    return list(
        conn.execute(
            sa.select(
                a.c.id, a.c.username, a.c.display_name, a.c.role, a.c.hall_id, a.c.disabled
            ).order_by(a.c.role.desc(), a.c.hall_id, a.c.username)
        )
    )


async def _accounts_page(
    request: Request,
    runtime: ServerRuntime,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    rows = await runtime.db.read(_accounts)
    halls = await runtime.db.read(_halls)
    return render(
        request,
        "admin/accounts.html",
        {
            "accounts": rows,
            "halls": halls,
            "hall_names": {h.id: h.name for h in halls},
            "values": values or {"role": "hall_staff"},
            "errors": errors or {},
            "min_password": MIN_PASSWORD,
            "role_labels": ROLE_LABELS,
            "hall_roles": HALL_ROLES,
        },
        status_code=status_code,
    )


@router.get("/accounts", response_class=HTMLResponse, name="accounts")
async def accounts(request: Request, runtime: Runtime, session: DistrictAdmin) -> HTMLResponse:
    return await _accounts_page(request, runtime)


@router.post("/accounts/new", response_class=HTMLResponse, name="account_create")
async def account_create(
    request: Request, runtime: Runtime, session: DistrictAdmin, post: PostedForm
) -> Response:
    values = {k: post.text(k) for k in ("username", "display_name", "role", "hall_id")}
    password = post.form.get("password")
    password = password if isinstance(password, str) else ""
    errors: dict[str, str] = {}
    if not _USERNAME.match(values["username"]):
        errors["username"] = "用户名应为 3–64 个字母、数字或 _ . @ -"
    if values["role"] not in ROLES:
        errors["role"] = "请选择角色"
    if len(password) < MIN_PASSWORD:
        errors["password"] = f"密码至少 {MIN_PASSWORD} 个字符"
    if len(values["display_name"]) > 100:
        errors["display_name"] = "姓名太长"
    try:
        check_text(values["display_name"])
    except ValueError as exc:
        errors["display_name"] = str(exc)
    halls = {h.id for h in await runtime.db.read(_halls)}
    if values["role"] in HALL_ROLES and values["hall_id"] not in halls:
        errors["hall_id"] = "请选择所属大厅"
    if errors:
        return await _accounts_page(request, runtime, values=values, errors=errors, status_code=422)

    def add(conn: Connection) -> int | None:
        exists = conn.execute(
            sa.select(m.staff_accounts.c.id).where(
                m.staff_accounts.c.username == values["username"]
            )
        ).first()
        if exists is not None:
            return None
        account_id = create_staff(
            conn,
            values["username"],
            password,
            values["role"],  # type: ignore[arg-type]
            values["hall_id"] or None,
            values["display_name"],
        )
        audit(conn, post.session, "account_create", values["hall_id"] or None, values["username"])
        return account_id

    if await runtime.db.write(add) is None:
        errors["username"] = "这个用户名已被使用"
        return await _accounts_page(request, runtime, values=values, errors=errors, status_code=422)
    return redirect("/admin/accounts", f"已创建账号 {values['username']}")


def _account_change(
    conn: Connection, post: Any, account_id: int, values: dict[str, Any] | None, what: str
) -> str:
    """Change an account and end all its logins (sessions, API tokens, known devices)."""
    row = conn.execute(
        sa.select(m.staff_accounts.c.username, m.staff_accounts.c.hall_id).where(
            m.staff_accounts.c.id == account_id
        )
    ).first()
    if row is None:
        raise AdminPageError(404, "没有这个账号")
    if values:
        conn.execute(
            sa.update(m.staff_accounts).where(m.staff_accounts.c.id == account_id).values(values)
        )
    # Enabling brings back nothing that ended; a new role holds at the next request anyway
    # (sessions and tokens read the role from the account each time).
    if what not in ("account_enable", "account_role"):
        end_all_logins(conn, account_id)
    audit(conn, post.session, what, row.hall_id, row.username)
    return str(row.username)


@router.post("/accounts/{account_id}/disable", name="account_disable")
async def account_disable(
    runtime: Runtime, session: DistrictAdmin, account_id: RowId, post: PostedForm
) -> Response:
    if account_id == session.staff.account_id:
        return redirect("/admin/accounts", "不能停用自己的账号")
    name = await runtime.db.write(
        lambda c: _account_change(c, post, account_id, {"disabled": True}, "account_disable")
    )
    return redirect("/admin/accounts", f"已停用 {name}，其登录和令牌立即失效（再次启用也不会恢复）")


@router.post("/accounts/{account_id}/enable", name="account_enable")
async def account_enable(
    runtime: Runtime, session: DistrictAdmin, account_id: RowId, post: PostedForm
) -> Response:
    name = await runtime.db.write(
        lambda c: _account_change(c, post, account_id, {"disabled": False}, "account_enable")
    )
    return redirect("/admin/accounts", f"已启用 {name}")


@router.post("/accounts/{account_id}/role", name="account_role")
async def account_role(
    runtime: Runtime, session: DistrictAdmin, account_id: RowId, post: PostedForm
) -> Response:
    """Make a hall's staff member its leader (负责人) or back; a hall account stays in its hall."""
    role = post.text("role")
    if role not in HALL_ROLES:
        return redirect("/admin/accounts", "请选择大厅工作人员或大厅负责人，未修改")

    def change(conn: Connection) -> str:
        row = conn.execute(
            sa.select(m.staff_accounts.c.role).where(m.staff_accounts.c.id == account_id)
        ).first()
        if row is None:
            raise AdminPageError(404, "没有这个账号")
        if row.role not in HALL_ROLES:
            raise AdminPageError(409, "街道管理员账号不能改为大厅角色")
        return _account_change(conn, post, account_id, {"role": role}, "account_role")

    name = await runtime.db.write(change)
    return redirect("/admin/accounts", f"已将 {name} 设为{ROLE_LABELS[role]}")


@router.post("/accounts/{account_id}/password", name="account_password")
async def account_password(
    runtime: Runtime, session: DistrictAdmin, account_id: RowId, post: PostedForm
) -> Response:
    password = post.form.get("password")
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        return redirect("/admin/accounts", f"新密码至少 {MIN_PASSWORD} 个字符，未修改")
    digest = hash_password(password)
    name = await runtime.db.write(
        lambda c: _account_change(
            c, post, account_id, {"password_hash": digest}, "account_password"
        )
    )
    return redirect("/admin/accounts", f"已为 {name} 设置新密码，其原有登录和令牌已全部失效")


@router.post("/accounts/{account_id}/logout-everywhere", name="account_logout_everywhere")
async def account_logout_everywhere(
    runtime: Runtime, session: DistrictAdmin, account_id: RowId, post: PostedForm
) -> Response:
    name = await runtime.db.write(
        lambda c: _account_change(c, post, account_id, None, "account_logout_everywhere")
    )
    if account_id == session.staff.account_id:
        return redirect("/admin/login", "已在所有设备上退出登录，所有令牌已失效")
    return redirect("/admin/accounts", f"{name} 已在所有设备上退出登录，其令牌全部失效")


@router.get("/kiosks", response_class=HTMLResponse, name="kiosks")
async def kiosks(request: Request, runtime: Runtime, session: DistrictAdmin) -> HTMLResponse:
    rows = await runtime.db.read(lambda c: fleet_rows(c, None))
    halls = await runtime.db.read(_halls)
    return render(
        request, "admin/kiosks.html", {"rows": rows, "halls": halls, "ago": ago, "token": None}
    )


@router.post("/kiosks/new", response_class=HTMLResponse, name="kiosk_create")
async def kiosk_create(
    request: Request, runtime: Runtime, session: DistrictAdmin, post: PostedForm
) -> Response:
    hall_id = post.text("hall_id")
    name = post.text("name")[:100]
    try:
        check_text(name)
    except ValueError as exc:
        return redirect("/admin/kiosks", f"自助机名称{exc}")
    if hall_id not in {h.id for h in await runtime.db.read(_halls)}:
        return redirect("/admin/kiosks", "请选择自助机所在的大厅")

    def add(conn: Connection) -> tuple[int, int, str]:
        try:
            made = create_kiosk(conn, hall_id, name)
        except ValueError as exc:
            raise AdminPageError(409, str(exc)) from None
        audit(conn, post.session, "kiosk_create", hall_id, f"自助机 {made[1]}（{name}）")
        return made

    device_id, kiosk_no, token = await runtime.db.write(add)
    rows = await runtime.db.read(lambda c: fleet_rows(c, None))
    halls = await runtime.db.read(_halls)
    return render(
        request,
        "admin/kiosks.html",
        {
            "rows": rows,
            "halls": halls,
            "ago": ago,
            "token": {"value": token, "hall_id": hall_id, "kiosk_no": kiosk_no, "id": device_id},
        },
    )


@router.post("/kiosks/{device_id}/revoke", name="kiosk_revoke")
async def kiosk_revoke(
    runtime: Runtime, session: DistrictAdmin, device_id: RowId, post: PostedForm
) -> Response:
    def revoke(conn: Connection) -> bool:
        row = conn.execute(
            sa.select(m.kiosk_devices.c.hall_id, m.kiosk_devices.c.kiosk_no).where(
                m.kiosk_devices.c.id == device_id, m.kiosk_devices.c.revoked_at.is_(None)
            )
        ).first()
        if row is None:
            return False
        conn.execute(
            sa.update(m.kiosk_devices)
            .where(m.kiosk_devices.c.id == device_id)
            .values(revoked_at=utcnow())
        )
        audit(conn, post.session, "kiosk_revoke", row.hall_id, f"自助机 {row.kiosk_no}")
        return True

    if not await runtime.db.write(revoke):
        return redirect("/admin/kiosks", "没有这台在用的自助机")
    runtime.principals.forget_device(device_id)
    seconds = runtime.settings.auth_cache_seconds
    return redirect(
        "/admin/kiosks", f"已注销，这台自助机的令牌最多 {seconds:g} 秒内在所有服务进程失效"
    )
