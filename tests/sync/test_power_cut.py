"""A real crash: SIGKILL a process in the middle of applying snapshot after snapshot, then
check that what is on disk is always a whole, valid snapshot — the last one confirmed or
the next one, never a mix. (A process crash, not a power cut: the page cache survives.
The fsyncs in kiosk/sync/durable.py are what covers the power cut.)"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.sync.store import ContentStore

REPO = Path(__file__).resolve().parents[2]

APPLY_FOREVER = """
import sys
from pathlib import Path
from kiosk.sync.store import ContentStore
from tests.sync.snapshots import photo, snapshot_bytes

store = ContentStore(Path(sys.argv[1]))
for version in range(int(sys.argv[2]), 100_000):
    raw, media = snapshot_bytes(version, photos={
        "a": photo(f"a{version}"), "b": photo(f"b{version}"), "c": photo("shared"),
    })
    store.apply(raw, media.__getitem__, etag=f'"v{version}"')
    print(version, flush=True)
"""


@pytest.mark.slow
def test_sigkill_during_applies_never_leaves_a_broken_cache(tmp_path: Path) -> None:
    rng = random.Random(20261126)
    confirmed = 0
    for round_no in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-c", APPLY_FOREVER, str(tmp_path), str(confirmed + 1)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        try:
            assert proc.stdout is not None
            for _ in range(rng.randint(1, 15)):
                line = proc.stdout.readline()
                assert line, f"apply loop died in round {round_no}"
                confirmed = int(line)
            time.sleep(rng.random() * 0.02)  # land somewhere inside the next apply
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
            if proc.stdout is not None:
                # versions printed before the kill was delivered were fully applied too
                for line in proc.stdout.read().split():
                    confirmed = int(line)
                proc.stdout.close()
        store = ContentStore(tmp_path)
        snap = store.current()
        assert snap is not None
        assert snap.version in (confirmed, confirmed + 1), (snap.version, confirmed)
        assert store.etag == f'"v{snap.version}"'
        for digest in snap.content.media_hashes():
            path = store.media_path(digest)
            assert path is not None
            assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
        assert not list(tmp_path.rglob(".tmp-*"))  # the restart swept the debris
        confirmed = snap.version
