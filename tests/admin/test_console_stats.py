"""A called resident who never came is a no-show (过号) when the window calls the next one:
never counted as served in the statistics (table and CSV), while one the window started
serving is."""

from __future__ import annotations

import csv
import io

import requests

from tests.utils.admin_web import AdminClient, counters_of, issue_ticket, staff_client
from tests.utils.servers import RunningServer

HALL = "huayang"
QUEUE = "G"  # served by window 1 only


def _counts(staff: AdminClient, window: int) -> tuple[int, int, int]:
    """(issued, served, no-shows) of queue G at ``window`` over the default week."""
    r = staff.get("/admin/stats.csv")
    assert r.status_code == 200, r.text
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    mine = [row for row in rows[1:] if row[1] == HALL and row[3] == QUEUE and row[4] == str(window)]
    return (
        sum(int(row[5]) for row in mine),
        sum(int(row[6]) for row in mine),
        sum(int(row[7]) for row in mine),
    )


def test_calling_the_next_one_makes_a_no_show_not_a_served_one(
    admin_server: RunningServer,
) -> None:
    staff = staff_client(admin_server, HALL)
    counter = next(c for c in counters_of(admin_server, HALL) if c["window"] == 1)
    console = f"/admin/counters/{counter['id']}"
    staff.post(f"{console}/complete")  # free the window, whatever earlier tests left
    served_today = staff.get(f"{console}/live").json()["served_today"]

    absent = issue_ticket(admin_server, HALL, QUEUE)
    present = issue_ticket(admin_server, HALL, QUEUE)
    later = issue_ticket(admin_server, HALL, QUEUE)
    queue_only = {"queues": QUEUE}
    # The queue may hold earlier tests' tickets: call until ours is at the window.
    while absent["number"] not in staff.flash(staff.post(f"{console}/call-next", queue_only)):
        pass
    issued, served, no_show = _counts(staff, 1)  # the earlier ones are settled now
    assert present["number"] in staff.flash(staff.post(f"{console}/call-next", queue_only))
    assert "开始办理" in staff.flash(staff.post(f"{console}/start"))
    assert later["number"] in staff.flash(staff.post(f"{console}/call-next", queue_only))
    assert "已标记过号" in staff.flash(staff.post(f"{console}/no-show"))

    states = {
        t["number"]: requests.get(
            f"{admin_server.api}/public/tickets/{t['id']}", timeout=30
        ).json()["state"]
        for t in (absent, present, later)
    }
    assert states == {
        absent["number"]: "no_show",
        present["number"]: "done",
        later["number"]: "no_show",
    }
    # Statistics of the window: the two called since are its tickets now; one more served
    # (the one it started serving), two more no-shows.
    assert _counts(staff, 1) == (issued + 2, served + 1, no_show + 2)
    live = staff.get(f"{console}/live").json()
    assert live["served_today"] >= served_today + 1
    page = staff.get(f"/admin/stats?hall={HALL}")
    assert page.status_code == 200 and "过号" in page.text
