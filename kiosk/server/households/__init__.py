"""The households register of 五必访 (issue 15): a hall's households and their members,
personal fields sealed at rest (:mod:`kiosk.server.personal`), masked in lists, every full
view and export audited, spreadsheet import with a dry run, retention after moving away.

Used by the admin pages (``kiosk/server/admin/households.py``), the visits store and the
retention job. Functions take a SQLAlchemy Connection and raise domain errors.
"""

from __future__ import annotations

from kiosk.server.households.store import (
    AuditEntry,
    HallCounts,
    HouseholdPage,
    audit,
    audit_log,
    counts,
    create,
    district_may_view,
    erase_due,
    get,
    list_households,
    mark_moved_away,
    may_view,
    phone_hash,
    require_view,
    set_district_access,
    update,
)
from kiosk.server.households.values import (
    HouseholdInput,
    HouseholdRecord,
    HouseholdRow,
    MemberInput,
    check_household,
    check_member,
)

__all__ = [
    "AuditEntry",
    "HallCounts",
    "HouseholdInput",
    "HouseholdPage",
    "HouseholdRecord",
    "HouseholdRow",
    "MemberInput",
    "audit",
    "audit_log",
    "check_household",
    "check_member",
    "counts",
    "create",
    "district_may_view",
    "erase_due",
    "get",
    "list_households",
    "mark_moved_away",
    "may_view",
    "phone_hash",
    "require_view",
    "set_district_access",
    "update",
]
