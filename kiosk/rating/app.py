"""The rating device app (``kiosk --mode rating --counter N``): one window's 好差评 panel.

The hall's events come through the same :class:`~kiosk.feed.ContentFeed` the kiosk and
the display use (the event long-poll, the heartbeat); a ``ticket`` event saying this
counter's ticket was completed puts the question. Ratings go to the durable
:class:`~kiosk.rating.store.RatingStore` first and are delivered by the
:class:`~kiosk.rating.link.RatingCourier`; the staff card is refreshed by the
:class:`~kiosk.rating.link.CardFollower`. Remote care (screenshots, logs, restart, the
clock check) is :func:`kiosk.care_hooks.start_care`, as for the kiosk.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window

from kiosk.assets import register_fonts
from kiosk.core import clock as wall_clock
from kiosk.core.wire import EventPublic, EventType, RatingCardPublic
from kiosk.feed import ContentFeed
from kiosk.i18n import install
from kiosk.rating.session import Finished, RatingSession
from kiosk.rating.store import RatingStore
from kiosk.settings import KioskSettings
from kiosk.sync.errors import CacheError
from kiosk.theme import theme

if TYPE_CHECKING:
    from kiosk.care_hooks import CareHooks
    from kiosk.rating.device import RatingDevice
    from kiosk.rating.link import CardFollower, RatingCourier
    from kiosk.voice import Speaker

__all__ = ["RatingApp"]

log = logging.getLogger("kiosk.rating")

#: Events after which the window's staff card may have changed (who is on duty).
_CARD_EVENTS = frozenset({EventType.CONTENT, EventType.STAFF_STATUS})


class RatingApp(App):
    """Fullscreen rating panel facing the resident at counter ``settings.counter``."""

    def __init__(
        self,
        *,
        settings: KioskSettings,
        feed: ContentFeed,
        speaker: Speaker | None = None,
        clock: Callable[[], dt.datetime] = wall_clock.now,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.title = "居民之家 · 好差评"
        self.settings = settings
        self.feed = feed
        self.speaker = speaker
        self.clock = clock
        self.exit_code = 0
        self.store = RatingStore(settings.data_dir / "rating")
        self.courier: RatingCourier | None = None
        self.cards: CardFollower | None = None
        self.care: CareHooks | None = None
        self.device: RatingDevice | None = None

    # what remote care reads (kiosk.care_hooks): the screen on show and its name
    @property
    def manager(self) -> Any:
        return self.device

    @property
    def current_name(self) -> str:
        return str(self.device.current) if self.device is not None else ""

    def build(self) -> Any:
        install(self.settings.language)
        register_fonts()
        from kiosk.rating.device import RatingDevice

        theme.fit_window(*Window.size)
        Window.bind(size=lambda _w, size: theme.fit_window(*size))
        if self.speaker is None:
            from kiosk.voice import VoiceSettings, open_speaker

            values = dict(self.settings.voice or {})
            values.setdefault("data_dir", str(self.settings.data_dir))
            self.speaker = open_speaker(VoiceSettings.from_mapping(values), wait=0)
        session = RatingSession(
            counter_id=self.settings.counter,
            device_id=f"rating-{self.settings.counter}",
            clock=self.clock,
            on_finished=self._keep,
        )
        session.already_asked(self.store.ticket_ids())
        self.device = RatingDevice(session=session, store=self.store, speaker=self.speaker)
        self.device.elder_default = self.settings.elder_default
        if self.settings.elder_default:
            self.device.set_elder(True)
        return self.device

    def _keep(self, finished: Finished) -> None:
        """Durable first (the store fsyncs), then the courier may deliver."""
        try:
            self.store.add(finished)
        except CacheError:  # the device's own disk: logged for remote care, not a crash
            log.exception("rating of ticket %s NOT stored", finished.ticket_id)
            return
        if self.courier is not None:
            self.courier.wake()

    def on_start(self) -> None:
        if not self.settings.windowed:
            Window.bind(on_keyboard=lambda _w, key, *_a: key == 27)
        if not self.settings.demo:
            from kiosk.care_hooks import start_care
            from kiosk.rating.link import CardFollower, RatingClient, RatingCourier

            client = RatingClient(self.settings.server_url, self.settings.token)
            self.courier = RatingCourier(self.store, client)
            self.cards = CardFollower(
                self.store,
                client,
                self.settings.counter,
                on_card=lambda card: Clock.schedule_once(lambda _dt: self._show_card(card)),
            )
            self.courier.start()
            self.cards.start()
            self.care = start_care(self)
        self.feed.start(
            on_content=lambda _snap: None,
            on_event=lambda ev: Clock.schedule_once(lambda _dt: self.apply_event(ev)),
            on_status=lambda _st: None,
            outbox_backlog=self.store.backlog,
        )

    def _show_card(self, card: RatingCardPublic) -> None:
        if self.device is not None:
            self.device.show_card(card)

    def apply_event(self, event: EventPublic) -> None:
        if self.device is not None:
            self.device.on_event(event)
        if event.type in _CARD_EVENTS and self.cards is not None:
            self.cards.wake()
        if event.type is EventType.CARE and self.care is not None:
            self.care.wake()

    def on_stop(self) -> None:
        self.feed.stop()
        for loop in (self.courier, self.cards):
            if loop is not None:
                loop.stop()
        if self.care is not None:
            self.care.stop()
        if self.device is not None:
            self.device.stop()
        if self.speaker is not None:
            self.speaker.close()
        self.store.close()
