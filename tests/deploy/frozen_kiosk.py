"""``python -m tests.deploy.frozen_kiosk KIOSK-ARGS``: the real kiosk (``kiosk.cli.main``),
plus a test-only SIGUSR1 handler that blocks the UI (main) thread for 30 s, as a deadlock
would. Its other threads (content sync, ticket courier) keep running meanwhile."""

from __future__ import annotations

import signal
import sys
import time

from kiosk.cli import main


def _freeze(_signum: int, _frame: object) -> None:
    print("ui thread frozen", flush=True)
    time.sleep(30)


if __name__ == "__main__":
    signal.signal(signal.SIGUSR1, _freeze)
    sys.exit(main(sys.argv[1:]))
