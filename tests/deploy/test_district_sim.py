"""The district simulation (bench/district_sim.py) in its quick form: a few halls on a real
PostgreSQL behind nginx, with one and two ``kiosk-server serve`` processes. Every kiosk
must get every staff edit of its hall and every call of its hall's counter. How fast is
measured by the bench, not asserted here (docs/PERFORMANCE.md, "District simulation")."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.core import clock
from tests.utils.postgres import find_bin_dir
from tests.utils.servers import REPO

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which("nginx"), reason="needs nginx (scripts/system-deps.sh)"),
]


def test_district_sim_quick(tmp_path: Path) -> None:
    find_bin_dir()  # PostgresUnavailable (a loud skip/fail) rather than a late crash
    out = tmp_path / "district.json"
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "district_sim.py"),
            "--quick",
            "--halls",
            "4",
            "--counters",
            "2",
            "--seconds",
            "4",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=REPO,
        env=clock.child_env(),
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    runs = json.loads(out.read_text())
    assert [r["workers"] for r in runs] == [1, 2]
    for r in runs:
        assert r["halls"] == 4 and r["kiosks"] == 8 and r["counters"] == 2
        assert r["edits"] == 4, r  # every hall edited once
        assert r["edit_expected"] == 8 and r["edit_missing"] == 0, r  # … reached both kiosks
        assert r["calls"] >= 2, r
        assert r["call_expected"] == 2 * r["calls"] and r["call_missing"] == 0, r
        assert not r["errors"], r["errors"]
