"""``kiosk-server move-to-postgres``: a hall's SQLite database into a new PostgreSQL; the
kiosk's old token, its event cursor, the tickets' pages and the day's numbering carry on
as if nothing happened. Real servers on both, a real PostgreSQL (issue 16)."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.utils.servers import run_cli, start_server

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_move_then_the_kiosks_notice_nothing(postgres_database_url: str, tmp_path: Path) -> None:
    data = tmp_path / "hall"
    server = start_server(data)
    hall = sorted(server.credentials["kiosks"])[0]
    token = server.credentials["kiosks"][hall]["token"]
    kiosk = {"Authorization": f"Bearer {token}"}
    try:
        issued = []
        for i in range(5):
            r = requests.post(
                f"{server.base_url}/api/v1/tickets",
                json={"queue": "A"},
                headers={**kiosk, "Idempotency-Key": f"move-{i:04d}"},
                timeout=10,
            )
            assert r.status_code == 201, r.text
            issued.append(r.json())
        events = requests.get(
            f"{server.base_url}/api/v1/kiosk/events", params={"after": 0}, headers=kiosk, timeout=10
        ).json()
        cursor = events["last_seq"]
        # Not while the server has the file open: tickets issued meanwhile would be lost.
        with pytest.raises(RuntimeError, match="请先停止"):
            run_cli("move-to-postgres", "--to", postgres_database_url, data_dir=data)
    finally:
        server.stop()

    out = run_cli("move-to-postgres", "--to", postgres_database_url, data_dir=data).stdout
    assert "verified" in out and "5 tickets" in out, out

    moved = start_server(data, database_url=postgres_database_url)
    try:
        assert moved.credentials["kiosks"][hall]["token"] == token  # the same token, still valid
        r = requests.get(f"{moved.base_url}/api/v1/kiosk/content", headers=kiosk, timeout=10)
        assert r.status_code == 200
        r = requests.get(
            f"{moved.base_url}/api/v1/kiosk/events",
            params={"after": cursor},
            headers=kiosk,
            timeout=10,
        )
        assert r.status_code == 200 and r.json()["events"] == [], "the cursor is still valid"
        for ticket in issued:
            page = requests.get(
                f"{moved.base_url}/api/v1/public/tickets/{ticket['id']}", timeout=10
            )
            assert page.status_code == 200 and page.json()["number"] == ticket["number"]
        # The day's numbering carries on: no clash with what was issued before the move.
        r = requests.post(
            f"{moved.base_url}/api/v1/tickets",
            json={"queue": "A"},
            headers={**kiosk, "Idempotency-Key": "move-after-0001"},
            timeout=10,
        )
        assert r.status_code == 201, r.text
        assert r.json()["number"] not in {t["number"] for t in issued}
        assert int(r.json()["number"][1:]) == int(issued[-1]["number"][1:]) + 1
        # The same idempotency key as before the move still means the same ticket.
        again = requests.post(
            f"{moved.base_url}/api/v1/tickets",
            json={"queue": "A"},
            headers={**kiosk, "Idempotency-Key": "move-0000"},
            timeout=10,
        )
        assert again.status_code == 200 and again.json()["id"] == issued[0]["id"]
    finally:
        moved.stop()

    # A second move into a database that holds halls now is refused.
    with pytest.raises(RuntimeError, match="新的空库"):
        run_cli("move-to-postgres", "--to", postgres_database_url, data_dir=data)
