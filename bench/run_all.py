"""Run every benchmark in bench/ one after the other and print what each measures.

A benchmark is any ``bench/*.py`` except this file and modules starting with ``_``
(support code). Server benchmarks (``server_*.py``) run first, then the rest in name
order (kiosk benchmarks, ``*_bench.py``, …). Arguments after ``--`` are passed to every
script (e.g. ``-- --quick``); ``--only NAME`` runs the scripts whose name contains NAME.

    make bench
    .venv/bin/python bench/run_all.py [--only tickets] [-- --backend sqlite --quick]

Exit status: non-zero if any benchmark script failed (a missed target is not a failure:
the numbers are printed and recorded in docs/PERFORMANCE.md by hand).
"""

from __future__ import annotations

import datetime as dt
import platform
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def discover() -> list[Path]:
    scripts = [
        p
        for p in BENCH.glob("*.py")
        if p.name != Path(__file__).name and not p.name.startswith("_")
    ]
    return sorted(scripts, key=lambda p: (not p.name.startswith("server_"), p.name))


def main(argv: list[str]) -> int:
    passthrough: list[str] = []
    if "--" in argv:
        passthrough = argv[argv.index("--") + 1 :]
        argv = argv[: argv.index("--")]
    only = argv[argv.index("--only") + 1] if "--only" in argv else ""
    scripts = [p for p in discover() if only in p.name]
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"# benchmarks, {now}, {platform.node()}, Python {platform.python_version()}")
    failed = []
    for script in scripts:
        print(f"\n## {script.name}", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call([sys.executable, str(script), *passthrough], cwd=BENCH.parent)
        print(f"## {script.name}: rc={rc}, {time.perf_counter() - t0:.0f} s", flush=True)
        if rc != 0:
            failed.append(script.name)
    if failed:
        print(f"\nFAILED: {', '.join(failed)}")
        return 1
    print(f"\nall {len(scripts)} benchmark scripts ran")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
