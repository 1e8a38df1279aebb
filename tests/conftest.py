"""Suite-wide pytest plugins. The private PostgreSQL server of tests/utils/postgres.py is
registered here once, so every test folder shares one server per session and a skip is
reported loudly in the terminal summary."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

pytest_plugins = ["tests.utils.postgres"]
