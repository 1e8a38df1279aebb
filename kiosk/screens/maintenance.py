"""The hidden maintenance screen: PIN first, then sync state, and a way out of the kiosk.

Reached by holding the header's top-left corner; not on any tile. Shows the server URL,
whether the kiosk is online, the content version, last sync, last error and the ticket
outbox backlog; can ask for a sync now or exit the app.
"""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, StringProperty

from kiosk.feed import SyncStatus
from kiosk.i18n import _
from kiosk.screens.base import KioskScreen
from kiosk.widgets import buttons, card, text  # noqa: F401  (kv rules)
from kiosk.widgets.kv import load_kv_beside
from kiosk.widgets.text import safe

__all__ = ["MaintenanceScreen"]


class MaintenanceScreen(KioskScreen):
    """PIN pad, then the facts a technician needs."""

    unlocked = BooleanProperty(False)
    """True after the right PIN, until the screen is reset, bool."""

    entered = StringProperty("")
    """Digits typed so far, str."""

    message = StringProperty("")
    """Hint or error under the PIN pad, str."""

    details = StringProperty("")
    """The sync facts, markup-safe, str."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Strong references: ``ids`` holds weak proxies, and a removed view must survive.
        self._views = {True: self.ids.unlocked.__self__, False: self.ids.locked.__self__}
        self._page = self.ids.locked.parent
        self._page.remove_widget(self.ids.unlocked)

    def on_unlocked(self, _screen: Any, unlocked: bool) -> None:
        """Show only the PIN pad or only the details: a hidden view must not catch taps."""
        self._page.remove_widget(self._views[not unlocked])
        if self._views[unlocked].parent is None:
            self._page.add_widget(self._views[unlocked])

    def show(self, **params: Any) -> None:
        self.unlocked = False
        self.entered = ""
        self.message = _("Enter the maintenance PIN.")
        self.refresh()

    def press(self, key: str) -> None:
        if key == "clear":
            self.entered = ""
        elif key == "ok":
            if self.entered == self._pin():
                self.unlocked = True
                self.refresh()
            else:
                self.message = _("Wrong PIN.")
            self.entered = ""
        elif len(self.entered) < 8:
            self.entered += key

    def _pin(self) -> str:
        return str(self.host.settings.maintenance_pin)

    def refresh(self) -> bool:
        status = self.host.sync_status
        devices = self._device_lines() + self._not_shown_lines(status)
        if status is None:
            self.details = "\n".join(devices)
            return True
        lines = [
            _("Server: {url}").format(url=safe(status.server_url or _("none (demo content)"))),
            _("Connection: {state}").format(state=_("online") if status.online else _("offline")),
            _("Content version: {v}").format(v=status.content_version or "-"),
            _("Last sync: {t}").format(
                t=status.last_sync.astimezone().strftime("%Y-%m-%d %H:%M:%S")
                if status.last_sync
                else "-"
            ),
            _("Last error: {e}").format(e=safe(status.last_error or "-")),
            _("Tickets waiting to be sent: {n}").format(n=status.outbox_backlog),
        ]
        self.details = "\n".join(lines + devices)
        return True

    def _not_shown_lines(self, status: SyncStatus | None) -> list[str]:
        """Content items left out as bad (by the cache) or that could not be drawn."""
        left_out = list(status.left_out) if status is not None else []
        broken = list(self.host.not_shown_lines)
        lines = []
        if left_out:
            lines.append(_("Left out of the content (bad items): {n}").format(n=len(left_out)))
            lines += ["  " + safe(line[:200]) for line in left_out[:10]]
        if broken:
            lines.append(_("Could not be shown: {n}").format(n=len(broken)))
            lines += ["  " + safe(line[:200]) for line in broken[-10:]]
        return lines

    def _device_lines(self) -> list[str]:
        """Speech and receipt printer: working, or silent / absent and why."""
        speech = self.host.speaker.status_text
        desk = self.host.tickets
        paper = desk.printer.status_text if desk is not None else _("no receipt printer")
        return [
            _("Speech: {status}").format(status=safe(speech)),
            _("Receipt printer: {status}").format(status=safe(paper)),
        ]

    def sync_now(self) -> None:
        self.host.feed.refresh_now()

    def exit_app(self) -> None:
        self.host.stop()

    def reset(self) -> None:
        super().reset()
        self.unlocked = False
        self.entered = ""


load_kv_beside(__file__)
