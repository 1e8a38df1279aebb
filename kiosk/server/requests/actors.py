"""Who acts on a request, from the token that asked: the core ``Actor`` and the hall."""

from __future__ import annotations

from kiosk.core.service_requests import Actor, Role
from kiosk.server.auth import KioskPrincipal, StaffPrincipal
from kiosk.server.domain_errors import Invalid

__all__ = ["hall_of", "kiosk_actor", "staff_actor"]


def staff_actor(staff: StaffPrincipal) -> Actor:
    """District admin → ``Role.DISTRICT``, the hall's leader → ``Role.LEADER``, else staff."""
    if staff.is_admin:
        return Actor(Role.DISTRICT, staff.principal)
    return Actor(Role.LEADER if staff.is_leader else Role.STAFF, staff.principal)


def kiosk_actor(kiosk: KioskPrincipal) -> Actor:
    """A resident at the kiosk (the kiosk is where, not who)."""
    return Actor(Role.RESIDENT, kiosk.principal)


def hall_of(who: KioskPrincipal | StaffPrincipal) -> str:
    """The hall a kiosk or hall staff token belongs to; a district account has none."""
    if who.hall_id is None:
        raise Invalid(
            "unknown_hall", "街道管理员账号不属于某个大厅，请用大厅工作人员账号", field="hall_id"
        )
    return who.hall_id
