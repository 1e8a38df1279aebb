"""The suite's one wall clock: every test runs at a fixed hall time, never the real hour.

A pytest plugin (registered in tests/conftest.py). Through :mod:`kiosk.core.clock` —
the clock the kiosk and the server read — it puts the test process at a fixed instant and
exports it in ``KIOSK_CLOCK_AT``/``KIOSK_CLOCK_SET_AT``, so every server and kiosk process
a test starts (they inherit ``os.environ``) shares the test's "now".

- The whole session starts at :data:`DEFAULT_AT` (a Wednesday morning, the hall open)
  and runs on from there at the normal rate.
- A test marked ``@pytest.mark.hall_clock`` depends on the hour of the hall's day; it runs
  three times, at each of :data:`HALL_TIMES` (open, closed, one minute before midnight),
  each run starting at that instant. Fixtures it needs at that hour (a server, a kiosk)
  must be function-scoped: a server started earlier keeps the session's time.
- ``KIOSK_CLOCK_AT=2026-12-05T16:00+08:00 make pytest`` starts the session at that time
  instead and runs each marked test once, starting at exactly that time: to try the suite
  at another hour.

The ``hall_time`` fixture is the ISO time the test started at.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator

import pytest

from kiosk.core import clock

__all__ = ["DEFAULT_AT", "HALL_TIMES", "set_hall_time"]

#: The session's default time: Wednesday 2 December 2026, 09:00 in the hall (open).
DEFAULT_AT = "2026-12-02T09:00:00+08:00"

#: The three hall times a ``hall_clock`` test runs at (a weekday, the demo halls' hours).
HALL_TIMES = {
    "open": "2026-12-02T11:30:00+08:00",
    "closed": "2026-12-02T20:00:00+08:00",
    "before-midnight": "2026-12-02T23:59:00+08:00",
}

_MARKER = "hall_clock"
# Set by pytest_configure: the session's start (ISO) and the monotonic time of it, and
# whether the caller chose one time for every test (KIOSK_CLOCK_AT in the environment).
_session: dict[str, dt.datetime | float | str] = {}


def set_hall_time(at: str) -> None:
    """Put this process and every process it starts from now on at the instant ``at``."""
    clock.set_clock_at(at)
    os.environ[clock.ENV_VAR] = clock.now().isoformat()
    os.environ[clock.ENV_SET_VAR] = repr(time.time())


def _session_now() -> str:
    """Where the session's clock is now (it runs on under the marked tests' own times)."""
    start = _session["at"]
    assert isinstance(start, dt.datetime)
    elapsed = time.monotonic() - float(_session["mono"])  # type: ignore[arg-type]
    return (start + dt.timedelta(seconds=elapsed)).isoformat()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_MARKER}: depends on the hall's hour; runs at each fixed time of "
        "tests/utils/hall_clock.py HALL_TIMES (open, closed, before midnight)",
    )
    chosen = os.environ.get(clock.ENV_VAR, "").strip()
    _session["chosen"] = chosen
    os.environ.pop(clock.ENV_SET_VAR, None)
    set_hall_time(chosen or DEFAULT_AT)
    _session["at"] = clock.now()
    _session["mono"] = time.monotonic()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.definition.get_closest_marker(_MARKER) is None:
        return
    chosen = str(_session.get("chosen", ""))
    times = {clock.ENV_VAR: chosen} if chosen else HALL_TIMES
    metafunc.parametrize("hall_time", list(times.values()), ids=list(times), indirect=True)


@pytest.fixture
def hall_time(request: pytest.FixtureRequest) -> str:
    """The hall time (ISO) this test started at."""
    return str(getattr(request, "param", "")) or _session_now()


@pytest.fixture(autouse=True)
def _hall_clock(request: pytest.FixtureRequest, hall_time: str) -> Iterator[None]:
    """A ``hall_clock`` test: the whole stack starts at its hall time, then back."""
    if "hall_time" not in getattr(getattr(request.node, "callspec", None), "params", {}):
        yield
        return
    set_hall_time(hall_time)
    try:
        yield
    finally:
        set_hall_time(_session_now())
