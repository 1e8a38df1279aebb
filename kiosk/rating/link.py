"""The rating device and its hall server: the staff card, and delivering ratings.

:class:`RatingClient` is the kiosk's :class:`~kiosk.sync.client.HallClient` with the two
rating calls (contract §2): ``GET /counters/{id}/rating-card`` and ``POST /ratings``
with an ``Idempotency-Key``. :class:`RatingCourier` delivers the store's pending
ratings on a :class:`~kiosk.sync.loop.BackgroundLoop`, oldest first, each with the key
it was stored with — a retry after a lost answer gets the same rating back (200), never
a second one. A rating the server refuses for itself (409: the ticket was rated already;
422) is marked rejected with the reason; the server away or failing is retried after a
backoff. :class:`CardFollower` fetches the window's staff card (and photo) into the
store now and then, and at once after :meth:`CardFollower.wake`. Imports no kivy.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable

from kiosk.core.wire import RatingCardPublic
from kiosk.rating.store import RatingStore, StoredRating
from kiosk.sync.backoff import Backoff
from kiosk.sync.client import HallClient
from kiosk.sync.errors import BadResponse, RequestRejected, SyncError
from kiosk.sync.loop import BackgroundLoop

__all__ = ["CardFollower", "RatingClient", "RatingCourier"]

log = logging.getLogger("kiosk.rating")

#: Answers that refuse one rating for a reason of its own: retrying cannot help.
_ITEM_STATUSES = frozenset({409, 422})
_MEDIA = re.compile(r"/media/([0-9a-f]{64})(?:[?#].*)?$")


class RatingClient(HallClient):
    """The hall client with the rating device's calls."""

    def rating_card(self, counter_id: int) -> RatingCardPublic:
        reply = self._request("GET", f"/counters/{int(counter_id)}/rating-card")
        return self._parse(reply, RatingCardPublic)

    def rate(self, rating: StoredRating) -> None:
        """POST /ratings (201 first time, 200 with the same key again)."""
        reply = self._request(
            "POST",
            "/ratings",
            json=rating.body.model_dump(mode="json"),
            headers={"Idempotency-Key": rating.idempotency_key},
        )
        self._raise_for_status(reply)

    def photo(self, address: str) -> bytes | None:
        """The staff photo at ``address`` (a media address of this server), else None."""
        found = _MEDIA.search(address)
        if found is None:
            return None
        data = self.get_media(found.group(1))
        if hashlib.sha256(data).hexdigest() != found.group(1):
            raise BadResponse(f"GET {address}: the photo does not match its SHA-256")
        return data


class RatingCourier:
    """Delivers ``store``'s pending ratings through ``client``."""

    def __init__(
        self,
        store: RatingStore,
        client: RatingClient,
        *,
        idle_interval: float = 10.0,
        on_delivered: Callable[[StoredRating], None] | None = None,
        backoff: Callable[[], Backoff] = Backoff,
    ) -> None:
        self.store = store
        self.client = client
        self.idle_interval = idle_interval
        self._on_delivered = on_delivered
        self._backoff = backoff()
        self.last_error: str | None = None
        self.loop = BackgroundLoop("rating-courier", self._round, interrupt=client.interrupt)

    def start(self) -> None:
        self.loop.start()

    def wake(self) -> None:
        self.loop.wake()

    def stop(self, timeout: float = 5.0) -> None:
        self.loop.stop(timeout)

    def _round(self) -> float:
        for rating in self.store.pending():
            if self.loop.stopping:
                return 0.0
            try:
                self.client.rate(rating)
            except RequestRejected as exc:
                if exc.status not in _ITEM_STATUSES:
                    return self._failed(exc)
                log.warning("rating of ticket %s refused: %s", rating.body.ticket_id, exc)
                self.store.mark(rating.local_id, "rejected", str(exc))
            except SyncError as exc:
                return self._failed(exc)
            else:
                self.store.mark(rating.local_id, "delivered")
            self.last_error = None
            if self._on_delivered is not None:
                self._on_delivered(rating)
        self._backoff.reset()
        return self.idle_interval

    def _failed(self, exc: SyncError) -> float:
        self.last_error = str(exc)
        log.info("ratings not delivered yet: %s", exc)
        return self._backoff.next_delay()


class CardFollower:
    """Keeps the window's staff card in ``store`` fresh (every ``interval`` s)."""

    def __init__(
        self,
        store: RatingStore,
        client: RatingClient,
        counter_id: int,
        *,
        on_card: Callable[[RatingCardPublic], None],
        interval: float = 60.0,
        backoff: Callable[[], Backoff] = Backoff,
    ) -> None:
        self.store = store
        self.client = client
        self.counter_id = counter_id
        self.interval = interval
        self._on_card = on_card
        self._backoff = backoff()
        self.loop = BackgroundLoop("rating-card", self._round, interrupt=client.interrupt)

    def start(self) -> None:
        self.loop.start()

    def wake(self) -> None:
        self.loop.wake()

    def stop(self, timeout: float = 5.0) -> None:
        self.loop.stop(timeout)

    def _round(self) -> float:
        try:
            card = self.client.rating_card(self.counter_id)
            address = card.staff.photo if card.staff is not None else None
            photo = self.client.photo(address) if address else None
        except SyncError as exc:
            log.info("rating card not fetched: %s", exc)
            return self._backoff.next_delay()
        if card != self.store.card() or photo is not None:
            self.store.save_card(card, photo)
            self._on_card(card)
        self._backoff.reset()
        return self.interval
