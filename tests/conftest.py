"""Suite-wide pytest plugins. The private PostgreSQL server of tests/utils/postgres.py is
registered here once, so every test folder shares one server per session and a skip is
reported loudly in the terminal summary. The suite's fixed wall clock
(tests/utils/hall_clock.py: no test sees the real hour; ``hall_clock`` tests run at three
hall times) is registered here too."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

pytest_plugins = ["tests.utils.postgres", "tests.utils.hall_clock", "tests.utils.browser"]
