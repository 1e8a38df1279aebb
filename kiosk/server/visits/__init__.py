"""五必访 on the server: the visit plan of a hall's households and the visits recorded.

- :mod:`.plan` — each hall's visit rules (``visit_policies``), the district's events
  (寒潮预警: ``district_events``), every household's due state, a staff member's list for
  today and the leader's view (completion per staff member, overdue households).
- :mod:`.records` — recording a visit (idempotent by the key the phone minted), the
  leader's alerts after misses in a row, a need turned into a request (诉求).

The rules themselves are :mod:`kiosk.core.visits` (due dates, retries, alerts, lights):
this package only loads what they need, stores what they return and never re-decides.
Functions take a SQLAlchemy ``Connection`` (inside ``runtime.write`` / ``db.read``) and
raise :mod:`kiosk.server.domain_errors`. Imported by the admin pages
(:mod:`kiosk.server.admin.visits`) and the jobs.
"""

from __future__ import annotations

from kiosk.server.visits.plan import (
    DueRow,
    LeaderView,
    PlanHousehold,
    StaffCompletion,
    declare_event,
    due_rows,
    events_for,
    leader_view,
    policy_of,
    set_policy,
    todays_visits,
)
from kiosk.server.visits.records import (
    CHECKLIST,
    VisitAlert,
    VisitEntry,
    VisitForm,
    alerts_of,
    record_visit,
    visits_of,
)

__all__ = [
    "CHECKLIST",
    "DueRow",
    "LeaderView",
    "PlanHousehold",
    "StaffCompletion",
    "VisitAlert",
    "VisitEntry",
    "VisitForm",
    "alerts_of",
    "declare_event",
    "due_rows",
    "events_for",
    "leader_view",
    "policy_of",
    "record_visit",
    "set_policy",
    "todays_visits",
    "visits_of",
]
