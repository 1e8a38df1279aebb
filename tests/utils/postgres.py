"""The private PostgreSQL server (:mod:`devkit.postgres`, shared with bench/) as fixtures.

The suite never talks to a shared or system PostgreSQL: it runs ``initdb`` into a fresh
temporary folder, starts ``postgres`` listening on 127.0.0.1 only, on a free port, with its
unix socket in that folder and ``fsync`` on (durability is under test), and removes it all
at the end. As root, PostgreSQL refuses to run, so the folder is handed to the ``postgres``
system user and the binaries run through ``runuser -u postgres --``.

Fixtures (load this module as a pytest plugin, or import the fixtures into a conftest):

- ``postgres_url`` (session): ``postgresql+psycopg://…/kiosk_test`` of the private server.
- ``postgres_database_url`` (module): a fresh, empty database for one test module.

When PostgreSQL cannot be found or started, both skip with a loud message that is also
repeated in the terminal summary (warnings are errors in this suite, so no ``warnings.warn``).

Outside pytest: ``from devkit.postgres import PrivatePostgres``; ``with PrivatePostgres() as pg:
url = pg.create_database()``.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from devkit.postgres import PostgresUnavailable, PrivatePostgres, find_bin_dir

__all__ = [
    "PostgresUnavailable",
    "PrivatePostgres",
    "find_bin_dir",
    "postgres_database_url",
    "postgres_url",
    "pytest_terminal_summary",
]

# Why PostgreSQL was skipped this session, for the terminal summary.
_SKIP_REASONS: list[str] = []


def _loud(reason: str) -> str:
    bar = "!" * 78
    return f"\n{bar}\n!!! PostgreSQL tests SKIPPED: {reason}\n{bar}"


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[PrivatePostgres]:
    """The session's private PostgreSQL server (skips loudly where there is none)."""
    if _SKIP_REASONS:
        pytest.skip(_loud(_SKIP_REASONS[0]))
    try:
        pg = PrivatePostgres().start()
    except (PostgresUnavailable, OSError, subprocess.SubprocessError) as exc:
        reason = str(exc).strip() or type(exc).__name__
        _SKIP_REASONS.append(reason)
        pytest.skip(_loud(reason))
    try:
        yield pg
    finally:
        pg.stop()


@pytest.fixture(scope="session")
def postgres_url(private_postgres: PrivatePostgres) -> str:
    """``postgresql+psycopg://`` URL of an (initially empty) database on the private server."""
    return private_postgres.url()


@pytest.fixture(scope="module")
def postgres_database_url(private_postgres: PrivatePostgres) -> Iterator[str]:
    """A fresh, empty database for one test module; dropped afterwards."""
    url = private_postgres.create_database()
    try:
        yield url
    finally:
        with contextlib.suppress(Exception):
            private_postgres.drop_database(url)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Repeat, where nobody can miss it, that PostgreSQL tests did not run."""
    if not _SKIP_REASONS:
        return
    terminalreporter.section("PostgreSQL NOT TESTED", sep="!", red=True, bold=True)
    terminalreporter.write_line(
        "The PostgreSQL half of the suite was SKIPPED, because: " + _SKIP_REASONS[0],
        red=True,
        bold=True,
    )
