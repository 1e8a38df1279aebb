"""The kiosk app's idle watch: every touch restarts the idle timer; on home a quiet kiosk
plays the attract loop; elsewhere it warns, then sends everyone home and forgets the last
resident (:class:`~kiosk.idle.IdleTimer` keeps the time, this acts on it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kiosk.idle import IdleState, IdleTimer
from kiosk.screens.home import HomeScreen

if TYPE_CHECKING:
    from kiosk.screens.base import KioskScreen

__all__ = ["ATTRACT_AFTER", "ATTRACT_STEP", "IdleWatch"]

#: Seconds without a touch on home before the attract loop starts, and its step.
ATTRACT_AFTER = 8.0
ATTRACT_STEP = 5.0


class IdleWatch:
    """Mixed into :class:`kiosk.app.KioskApp`, which sets these in its ``__init__``."""

    idle: IdleTimer
    current_name: str
    history: list[tuple[str, dict[str, Any]]]
    screens: dict[str, KioskScreen]
    attract_after: float
    attract_step: float
    _warning: Any
    _last_attract: float
    _clean: bool

    def reset(self) -> None:
        raise NotImplementedError

    def _on_any_touch(self, *_args: Any) -> None:
        self.idle.touched()
        self._clean = False
        home = self.screens.get("home")
        if self.current_name == "home" and isinstance(home, HomeScreen):
            home.stop_attract()

    def _tick(self, _dt: float) -> None:
        state = self.idle.state()
        if self.current_name == "home" and not self.history:
            self._hide_warning()
            quiet = self.idle.quiet_for()
            if state is IdleState.EXPIRED and not self._clean:
                self.reset()  # screens left behind forget the last resident too
                self._clean = True
            if quiet >= self.attract_after and quiet - self._last_attract >= self.attract_step:
                self._last_attract = quiet
                home = self.screens["home"]
                if isinstance(home, HomeScreen):
                    home.attract()
            return
        if state is IdleState.EXPIRED:
            self.reset()
            self._clean = True
            self._last_attract = 0.0
        elif state is IdleState.WARNING:
            self._show_warning()
        else:
            self._hide_warning()

    def _show_warning(self) -> None:
        from kiosk.widgets.idle import IdleWarning

        if self._warning is None:
            self._warning = IdleWarning(keep_using=self._keep_using)
            self._warning.open(animation=False)
        self._warning.seconds_left = int(self.idle.seconds_left() + 0.99)

    def _hide_warning(self) -> None:
        if self._warning is not None:
            self._warning.dismiss(animation=False)
            self._warning = None

    def _keep_using(self) -> None:
        self.idle.touched()
        self._hide_warning()
