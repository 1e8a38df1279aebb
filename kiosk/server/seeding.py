"""Demo data for ``kiosk-server demo`` / ``load-demo``: the seven halls of 姚家街道 with
their media, a kiosk token per hall and demo staff and leader (负责人) logins, written to
``DATA_DIR/demo-credentials.json`` (plain text: demo only).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from kiosk.server import models as m
from kiosk.server.auth import create_kiosk, create_staff, token_hash, verify_password
from kiosk.server.content_store import publish_content
from kiosk.server.db import Database
from kiosk.server.media import store_media

__all__ = [
    "CREDENTIALS_FILE",
    "DEMO_ADMIN",
    "DEMO_LEADER_PASSWORD",
    "DEMO_STAFF_PASSWORD",
    "ensure_demo_logins",
    "load_demo",
]

CREDENTIALS_FILE = "demo-credentials.json"
DEMO_ADMIN = ("admin", "demo-admin-2026")
DEMO_STAFF_PASSWORD = "demo-staff-2026"
DEMO_LEADER_PASSWORD = "demo-leader-2026"


def load_demo(conn: Connection) -> list[str]:
    """Load the demo halls into ``conn``'s database if it has no hall yet; their ids."""
    if conn.execute(sa.select(sa.func.count()).select_from(m.halls)).scalar_one():
        return []
    from kiosk.core.demo import demo_media, load_demo_halls

    for digest, (_mime, data) in demo_media().items():
        stored, _ = store_media(conn, data)  # the same check as every upload
        assert stored == digest
    ids = []
    for content in load_demo_halls():
        publish_content(conn, content, "demo", create=True)
        ids.append(content.hall.id)
    return ids


def _account(conn: Connection, username: str) -> Any:
    return conn.execute(
        sa.select(m.staff_accounts).where(m.staff_accounts.c.username == username)
    ).first()


def ensure_demo_logins(db: Database, data_dir: Path, base_url: str) -> dict[str, Any]:
    """Make sure the demo admin, one staff login and one kiosk token per hall exist and
    are listed in the credentials file (reused across restarts); returns its content."""
    path = data_dir / CREDENTIALS_FILE
    old: dict[str, Any] = {}
    if path.is_file():
        try:
            old = json.loads(path.read_text("utf-8"))
        except ValueError:
            old = {}

    def ensure(conn: Connection) -> dict[str, Any]:
        username, password = DEMO_ADMIN
        row = _account(conn, username)
        if row is None:
            create_staff(conn, username, password, "district_admin", display_name="街道管理员")
        elif not verify_password(row.password_hash, password):
            password = (old.get("admin") or {}).get("password", "（已修改）")
        halls = conn.execute(sa.select(m.halls.c.id, m.halls.c.name).order_by(m.halls.c.id)).all()
        staff: dict[str, Any] = {}
        leaders: dict[str, Any] = {}
        kiosks: dict[str, Any] = {}
        for hall_id, name in halls:
            user = f"staff-{hall_id}"
            if _account(conn, user) is None:
                create_staff(
                    conn, user, DEMO_STAFF_PASSWORD, "hall_staff", hall_id, f"{name}工作人员"
                )
            staff[hall_id] = {"username": user, "password": DEMO_STAFF_PASSWORD}
            lead = f"leader-{hall_id}"
            if _account(conn, lead) is None:
                create_staff(
                    conn, lead, DEMO_LEADER_PASSWORD, "hall_leader", hall_id, f"{name}负责人"
                )
            leaders[hall_id] = {"username": lead, "password": DEMO_LEADER_PASSWORD}
            known = (old.get("kiosks") or {}).get(hall_id) or {}
            token = known.get("token")
            device = None
            if isinstance(token, str):
                device = conn.execute(
                    sa.select(m.kiosk_devices).where(
                        m.kiosk_devices.c.token_hash == token_hash(token),
                        m.kiosk_devices.c.revoked_at.is_(None),
                    )
                ).first()
            if device is None:
                device_id, kiosk_no, token = create_kiosk(conn, hall_id, "演示自助机")
            else:
                device_id, kiosk_no = device.id, device.kiosk_no
            kiosks[hall_id] = {"device_id": device_id, "kiosk_no": kiosk_no, "token": token}
        return {
            "base_url": base_url,
            "api_base": f"{base_url}/api/v1",
            "admin": {"username": username, "password": password},
            "staff": staff,
            "leaders": leaders,
            "kiosks": kiosks,
        }

    creds = db.write_sync(ensure)
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(creds, ensure_ascii=False, indent=2), "utf-8")
    tmp.replace(path)
    return creds
