"""The kiosk tells systemd it is up once its first screen is drawn, and that its UI thread
is alive, by pinging from Kivy's own main loop.

``READY=1`` goes out after the first frame has been drawn (``Window.on_flip``), so a unit
that waits for it (``Type=notify``) knows the resident sees home, not a black screen. The
``WATCHDOG=1`` pings are a ``Clock`` interval on the UI thread: when that thread hangs (a
deadlock, an endless layout loop, a blocking call), the pings stop and systemd kills and
restarts the app, even though its other threads (sync, courier) still run. Without systemd
(``NOTIFY_SOCKET`` unset) nothing is sent. Works for every mode (kiosk, display).
"""

from __future__ import annotations

from typing import Any

from kiosk.core.sdnotify import Notifier, watchdog_interval

__all__ = ["SystemdWatchdog"]


class SystemdWatchdog:
    def __init__(self, mode: str, notifier: Notifier | None = None) -> None:
        self.mode = mode
        self.notifier = notifier or Notifier()
        # The kiosk runs under xinit (the unit's main process): NotifyAccess=all, any pid.
        self.interval = watchdog_interval(check_pid=False)
        self._ping: Any = None

    def attach(self, app: Any) -> None:
        """Hook into ``app`` (a Kivy App, before ``run()``); does nothing without systemd.

        Kivy holds bound methods weakly: the caller keeps this object alive while the app
        runs."""
        if not self.notifier.enabled:
            return
        app.bind(on_start=self._on_start, on_stop=self._on_stop)

    def _on_start(self, *_args: Any) -> None:
        from kivy.core.window import Window

        def first_flip(*_a: Any) -> None:
            Window.unbind(on_flip=first_flip)
            self.notifier.ready(f"kiosk ({self.mode}) showing its first screen")

        Window.bind(on_flip=first_flip)
        if self.interval is not None:
            from kivy.clock import Clock

            self._ping = Clock.schedule_interval(
                lambda _dt: self.notifier.watchdog(), self.interval
            )

    def _on_stop(self, *_args: Any) -> None:
        if self._ping is not None:
            self._ping.cancel()
        self.notifier.stopping()
        self.notifier.close()
