"""Tell systemd we are ready and alive (``sd_notify(3)``), for the kiosk and the server.

systemd starts a ``Type=notify`` unit with ``NOTIFY_SOCKET`` (a unix datagram socket; a
leading ``@`` is Linux's abstract namespace) and, with ``WatchdogSec=``, ``WATCHDOG_USEC``.
``READY=1`` says start-up is done; ``WATCHDOG=1`` must then come at least every
``WATCHDOG_USEC`` or systemd kills and restarts us. Without ``NOTIFY_SOCKET`` (a developer's
machine, Windows, a test) every call does nothing.

The protocol is one datagram per message; this is those few lines, with no dependency:
the PyPI ``sdnotify`` package has had no release since 2017, and systemd's own
``systemd-python`` needs a C build against libsystemd on every hall PC.
"""

from __future__ import annotations

import os
import socket

__all__ = ["Notifier", "watchdog_interval"]


def watchdog_interval(
    environ: dict[str, str] | None = None, *, check_pid: bool = True
) -> float | None:
    """Seconds between pings to keep systemd's watchdog fed (half its timeout), or None.

    ``WATCHDOG_PID``, when set, must be our pid (systemd sets it for the main process);
    ``check_pid=False`` for worker processes that a supervisor started for the unit
    (uvicorn's ``--workers``), which then need ``NotifyAccess=all``.
    """
    env = os.environ if environ is None else environ
    usec = env.get("WATCHDOG_USEC", "")
    if not usec.isdigit() or int(usec) <= 0:
        return None
    pid = env.get("WATCHDOG_PID", "")
    if check_pid and pid.isdigit() and int(pid) != os.getpid():
        return None
    return int(usec) / 1_000_000 / 2


class Notifier:
    """Sends ``READY=1``, ``WATCHDOG=1``, ``STATUS=…``, ``STOPPING=1`` to systemd."""

    def __init__(self, address: str | None = None) -> None:
        path = os.environ.get("NOTIFY_SOCKET", "") if address is None else address
        self.address = "\0" + path[1:] if path.startswith("@") else path
        self._sock: socket.socket | None = None
        if self.address:
            self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._sock.setblocking(False)

    @property
    def enabled(self) -> bool:
        return self._sock is not None

    def send(self, *fields: str) -> bool:
        """Send ``fields`` as one message (``KEY=value`` lines); False when not delivered."""
        if self._sock is None:
            return False
        try:
            self._sock.sendto("\n".join(fields).encode("utf-8"), self.address)
        except OSError:
            return False  # systemd gone or socket full: never crash the caller for it
        return True

    def ready(self, status: str = "") -> bool:
        return self.send("READY=1", *((f"STATUS={status}",) if status else ()))

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def status(self, text: str) -> bool:
        return self.send(f"STATUS={text}")

    def stopping(self) -> bool:
        return self.send("STOPPING=1")

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
