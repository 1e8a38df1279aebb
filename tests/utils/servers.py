"""The real ``kiosk-server`` on loopback for tests: :mod:`devkit.servers` (shared with bench/
and scripts/), re-exported under the name the tests import."""

from __future__ import annotations

from devkit.servers import REPO, RunningServer, ServerFailed, free_port, run_cli, start_server

__all__ = ["REPO", "RunningServer", "ServerFailed", "free_port", "run_cli", "start_server"]
