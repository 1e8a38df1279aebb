"""A kiosk's ticket side as its own process, for the SIGKILL test.

``python -m tests.tickets.kiosk_process OUTBOX BASE_URL TOKEN QUEUE COUNT``: takes COUNT
tickets (each durably written before the next), prints ``written N`` after each, then
runs the courier until killed. The test kills it with SIGKILL at a moment of its choosing.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from kiosk.sync.backoff import Backoff
from kiosk.sync.client import HallClient
from kiosk.sync.courier import TicketCourier
from kiosk.sync.outbox import TicketOutbox


def main() -> None:
    path, base_url, token, queue, count = sys.argv[1:6]
    outbox = TicketOutbox(Path(path))
    client = HallClient(base_url, token, timeout=10)
    courier = TicketCourier(
        outbox,
        client,
        queues=lambda: [queue],
        backoff=lambda: Backoff(base=0.05, cap=0.3, floor=0.02),
        idle_interval=0.5,
    )
    courier.refresh()  # learn the kiosk number (the fallback series)
    for i in range(int(count)):
        outbox.take(queue)
        print(f"written {i + 1}", flush=True)
    courier.start()
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()
