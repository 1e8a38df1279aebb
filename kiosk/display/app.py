"""The hall display app (``kiosk --mode display``): the board, fed by the hall server.

Content (hall name, queues, windows) and events come through the same
:class:`~kiosk.feed.ContentFeed` the kiosk uses; the waiting counts from
:class:`~kiosk.sync.waiting.WaitingCounts`; calls are announced by the speaker
(:mod:`kiosk.voice`: chime and voice, one call at a time). Remote care from the fleet
page (screenshot, recent log lines, restart, the stuck-screen fingerprint) is the kiosk's
own (:mod:`kiosk.care_hooks`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window

from kiosk.assets import register_fonts
from kiosk.core.content import Snapshot
from kiosk.core.wire import EventPublic, EventType
from kiosk.feed import ContentFeed
from kiosk.i18n import install
from kiosk.settings import KioskSettings
from kiosk.theme import theme

if TYPE_CHECKING:
    from kiosk.care_hooks import CareHooks
    from kiosk.sync.waiting import WaitingCounts
    from kiosk.voice import Speaker

__all__ = ["DisplayApp"]


class DisplayApp(App):
    """Fullscreen call board for the hall's TV."""

    def __init__(
        self,
        *,
        settings: KioskSettings,
        feed: ContentFeed,
        speaker: Speaker | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.title = "居民之家 · 叫号"
        self.settings = settings
        self.feed = feed
        self.speaker = speaker
        snap = feed.current()
        self.content = snap.content if snap is not None else None
        self.waiting: WaitingCounts | None = None
        #: Remote care from the fleet page (None: the demo, no server).
        self.care: CareHooks | None = None
        #: What the process exits with (75: a restart asked from the fleet page).
        self.exit_code = 0
        #: The one "screen" of the board, for the care fingerprint.
        self.current_name = "board"

    def build(self) -> Any:
        install(self.settings.language)
        register_fonts()
        from kiosk.display.board import DisplayBoard

        theme.fit_window(*Window.size)
        Window.bind(size=lambda _w, size: theme.fit_window(*size))
        if self.speaker is None:
            from kiosk.voice import VoiceSettings, open_speaker

            voice = VoiceSettings.from_mapping(self.settings.voice or {})
            self.speaker = open_speaker(voice, wait=0)
        self.board = DisplayBoard(content=lambda: self.content, speaker=self.speaker)
        return self.board

    def on_start(self) -> None:
        if not self.settings.windowed:
            Window.bind(on_keyboard=lambda _w, key, *_a: key == 27)
        if not self.settings.demo:
            from kiosk.sync.client import HallClient
            from kiosk.sync.waiting import WaitingCounts

            self.waiting = WaitingCounts(
                HallClient(self.settings.server_url, self.settings.token),
                lambda counts: Clock.schedule_once(lambda _dt: self.board.set_waiting(counts)),
            )
            self.waiting.start()
        from kiosk.care_hooks import start_care

        self.care = start_care(self)
        self.feed.start(
            on_content=lambda snap: Clock.schedule_once(lambda _dt: self.apply_snapshot(snap)),
            on_event=lambda ev: Clock.schedule_once(lambda _dt: self.apply_event(ev)),
            on_status=lambda _st: None,
        )

    def apply_snapshot(self, snap: Snapshot) -> None:
        self.content = snap.content
        self.board.refresh()

    def apply_event(self, event: EventPublic) -> None:
        if event.type is EventType.CARE and self.care is not None:
            self.care.wake()  # the fleet page asks something of a device of this hall
        self.board.on_event(event)
        if self.waiting is not None and event.type in (EventType.CALL, EventType.TICKET):
            self.waiting.wake()

    def on_stop(self) -> None:
        if self.care is not None:
            self.care.stop()
        self.feed.stop()
        self.board.stop()
        if self.waiting is not None:
            self.waiting.stop()
        if self.speaker is not None:
            self.speaker.close()
