"""Kiosk app: cold start to an interactive home screen, tap-to-next-frame latency per
navigation (p50/p95), and peak memory.

Each run is a fresh Python process that starts the real app (offline, from a content
cache seeded with a demo hall, the server URL pointing at a closed port — the normal
start of a kiosk whose server is away) in a 1920×1080 window on a virtual display:

* **cold start**: from ``exec`` of the process to the end of the first frame drawn with
  the home screen (the app takes touches from then on); the other screens are then built
  in idle time (``kiosk.app.WARM_UP``), and the taps start once that is done, as on a
  kiosk that shows home for a while before the first resident;
* **tap → next frame**: from a finger lifting off a tile/button (the touch-up event handed
  to Kivy's input dispatch) to the end of the next frame, i.e. the buffer flip showing the
  new screen; every navigation of the app, repeated. Screens change without a transition
  (``NoTransition``), so that frame already shows only the new screen (checked on every
  tap); the frames after it are checked too: if layout still changed something, the tap
  counts until the last frame that did ("settled"). Split into the wait for the frame
  clock (Kivy paces frames at ``maxfps`` 60, so up to 16.7 ms), the app's own work
  (input, navigation, layout, text) and drawing + buffer flip (Mesa llvmpipe on this
  machine); the process CPU time of the frame (all threads, llvmpipe's included) is
  printed as well, since wall time on a shared 2-core machine depends on the load;
* **memory**: the process's maximum resident set size (ru_maxrss) and, at the end, RSS,
  PSS and USS (``/proc/self/smaps_rollup``: USS is what only this process holds, PSS adds
  its share of shared libraries), also just before the window exists.

    .venv/bin/python bench/kiosk_startup_bench.py [--runs 3] [--rounds 10]

Re-runs itself under ``xvfb-run`` when there is no display. Targets (issue #3): cold
start ≤ 2 s, p95 tap-to-frame ≤ 100 ms, memory ≤ 200 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _display import rerun_under_xvfb


def memory(pid: int | str = "self") -> dict[str, float]:
    """A process's Rss, Pss and USS (private clean + dirty) in MB, from smaps_rollup."""
    fields: dict[str, float] = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if rest.strip().endswith("kB"):
                    fields[key] = float(rest.split()[0]) / 1024
    except OSError:
        return {}
    return {
        "rss": fields.get("Rss", 0.0),
        "pss": fields.get("Pss", 0.0),
        "uss": fields.get("Private_Clean", 0.0) + fields.get("Private_Dirty", 0.0),
        "anon": fields.get("Anonymous", 0.0),
    }


def children_memory() -> dict[str, float]:
    """Rss, Pss and USS summed over this process's children (the speech engine host)."""
    total = {"rss": 0.0, "pss": 0.0, "uss": 0.0, "count": 0.0}
    me = str(os.getpid())
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parent = f.read().rsplit(")", 1)[1].split()[1]
        except (OSError, IndexError):
            continue
        if parent == me:
            child_memory = memory(entry)
            if child_memory:
                total["count"] += 1
                for key in ("rss", "pss", "uss"):
                    total[key] += child_memory[key]
    return total


def floor_child() -> None:
    """The platform's share: a bare Kivy window of the same size drawing one label."""
    import resource

    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    os.environ.setdefault("KIVY_NO_CONFIG", "1")
    from kivy.config import Config

    Config.set("graphics", "multisamples", "0")
    Config.set("graphics", "width", "1920")
    Config.set("graphics", "height", "1080")
    from kivy.base import EventLoop, runTouchApp
    from kivy.uix.label import Label

    runTouchApp(Label(text="居民之家", font_size=60), embedded=True)
    for _ in range(30):
        EventLoop.idle()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("BENCH " + json.dumps({"peak_mb": peak, "memory": memory()}))


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} CPUs"


def child(data_dir: Path, rounds: int) -> None:
    """Inside the measured process: start the app, navigate, print one JSON line."""
    started = float(os.environ["BENCH_T0"])
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    os.environ.setdefault("KIVY_NO_CONFIG", "1")
    from kiosk.cli import configure_kivy
    from kiosk.settings import load_settings

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    window = load_settings(None, windowed=True, size=(1920, 1080))
    configure_kivy(window)
    settings = load_settings(
        None, server_url=f"http://127.0.0.1:{port}", token="bench", data_dir=data_dir
    )
    from kivy.base import EventLoop

    from kiosk.feed import make_feed

    feed = make_feed(settings)
    before_window = memory()  # content model, sync and Kivy imported; no window yet
    from devkit.kiosk_driver import start_app
    from kiosk.app import KioskApp  # creates the Kivy window (GL context)

    app = KioskApp(settings=settings, feed=feed)
    drive = start_app(app)
    EventLoop.idle()  # the first frame with home on it
    cold = time.time() - started
    at_home = memory()
    # A kiosk shows home for a while before anyone taps: let the idle-time warm-up of the
    # other screens (kiosk.app.WARM_UP) finish, as it would before the first resident.
    from kiosk.app import WARM_UP

    drive.wait_until(lambda: all(name in app.screens for name in WARM_UP), timeout=60)
    warm_up = time.time() - started

    from kivy.clock import Clock

    from devkit.kiosk_driver import make_touch

    work: list[float] = []
    parts: dict[str, list[float]] = {"wait": [], "draw": [], "cpu": [], "extra_frames": []}
    settled: list[float] = []
    window = EventLoop.window
    waited = [0.0]
    clock_idle = Clock.idle

    def timed_idle():  # type: ignore[no-untyped-def]
        """Kivy's frame pacing (sleeps until the next 1/maxfps slot), timed."""
        t = time.perf_counter()
        try:
            return clock_idle()
        finally:
            waited[0] += time.perf_counter() - t

    Clock.idle = timed_idle

    def frame() -> bool:
        """One frame as ``EventLoop.idle`` runs it; True if anything was drawn."""
        Clock.tick()
        EventLoop.dispatch_input()
        Clock.tick_draw()
        if not window.canvas.needs_redraw:
            return False
        window.dispatch("on_draw")
        window.dispatch("on_flip")
        return True

    def tap_to_frame(widget, expect: str) -> float:  # type: ignore[no-untyped-def]
        """Seconds from touch-up to the flipped frame; the parts go to ``work``/``parts``."""
        drive.settle()
        drive.pump(1)
        x, y = widget.to_window(widget.center_x, widget.center_y)
        touch = make_touch(x, y)
        touch.touch_down()
        EventLoop.idle()
        waited[0] = 0.0
        c0 = time.process_time()
        t0 = time.perf_counter()
        touch.touch_up()
        # One frame, as EventLoop.idle() runs it, timed in parts: the frame clock's wait,
        # the app's work (input → navigation → layout, text) and drawing + buffer flip.
        Clock.tick()
        EventLoop.dispatch_input()
        Clock.tick_draw()
        t1 = time.perf_counter()
        window.dispatch("on_draw")
        window.dispatch("on_flip")
        t2 = time.perf_counter()
        c1 = time.process_time()
        shown = [s.name for s in app.manager.children]
        assert shown == [expect], ("the frame showed", shown, "not only", expect)
        wait = waited[0]
        parts["wait"].append(wait)
        work.append(t1 - t0 - wait)
        parts["draw"].append(t2 - t1)
        parts["cpu"].append(c1 - c0)
        # Did layout go on changing things after that frame? Then the tap ends later.
        end, extra = t2, 0
        for _ in range(10):
            if not frame():
                break
            end, extra = time.perf_counter(), extra + 1
        parts["extra_frames"].append(float(extra))
        settled.append(end - t0)
        return t2 - t0

    home = app.screen("home")
    samples: dict[str, list[float]] = {}

    def measure(name: str, widget, expect: str) -> None:  # type: ignore[no-untyped-def]
        samples.setdefault(name, []).append(tap_to_frame(widget, expect))
        assert app.current_name == expect, (name, app.current_name)

    for _ in range(rounds):
        for tile in ("categories", "staff", "rooms", "notices", "about"):
            measure(f"home → {tile}", home.tiles[tile], tile)
            measure(f"{tile} → home (首页)", app.nav.ids.home, "home")
        measure("home → categories", home.tiles["categories"], "categories")
        first = next(
            b for b in reversed(app.screen("categories").ids.grid.children) if not b.disabled
        )
        measure("categories → services", first, "services")
        measure(
            "services → service",
            app.screen("services").ids.rows.children[-1],
            "service",
        )
        measure("service → services (返回)", app.nav.ids.back, "services")
        measure("services → categories (返回)", app.nav.ids.back, "categories")
        measure("categories → home (返回)", app.nav.ids.back, "home")

    import resource

    Clock.idle = clock_idle
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "cold_start_s": cold,
        "warm_up_s": warm_up,
        "peak_mb": peak_mb,
        "memory": memory(),
        "memory_before_window": before_window,
        "memory_at_home": at_home,
        "children": children_memory(),
        "taps": samples,
        "work": work,
        "parts": parts,
        "settled": settled,
    }
    print("BENCH " + json.dumps(result))
    app.feed.stop()
    app.stop()


def child_result(args: list[str], env: dict[str, str], timeout: float) -> dict[str, Any] | None:
    """Run this script with ``args`` and read its ``BENCH {json}`` line; None (and its
    output printed) when it wrote none."""
    out = subprocess.run(
        [sys.executable, __file__, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        print(out.stdout[-2000:], out.stderr[-4000:])
        return None
    return dict(json.loads(line[6:]))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="cold starts (fresh processes)")
    parser.add_argument("--rounds", type=int, default=10, help="navigation rounds per run")
    parser.add_argument("--quick", action="store_true", help="1 run, 3 rounds")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)
    args, _unknown = parser.parse_known_args(argv)  # run_all passes server options too
    if args.floor:
        floor_child()
        return 0
    if args.child:
        child(args.child, args.rounds)
        return 0
    rerun = rerun_under_xvfb(__file__, argv, "kiosk bench")
    if rerun is not None:
        return rerun
    runs, rounds = (1, 3) if args.quick else (args.runs, args.rounds)

    from kiosk.core.demo import demo_media, load_demo_halls
    from kiosk.sync.store import ContentStore

    hall = load_demo_halls()[0]
    media = demo_media()
    snapshot = {
        "hall_id": hall.hall.id,
        "version": 1,
        "published_at": "2026-11-26T08:00:00+08:00",
        "content": json.loads(hall.model_dump_json()),
    }
    raw = json.dumps(snapshot, ensure_ascii=False).encode()
    colds, peaks, warm_ups = [], [], []
    taps: dict[str, list[float]] = {}
    work: list[float] = []
    parts: dict[str, list[float]] = {}
    settled: list[float] = []
    memories: list[dict[str, float]] = []
    before: list[dict[str, float]] = []
    homes: list[dict[str, float]] = []
    children: list[dict[str, float]] = []
    print(f"kiosk bench: {runs} runs × {rounds} rounds; {load()} at the start")
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
            ContentStore(Path(tmp) / "content").apply(raw, lambda sha: media[sha][1])
            env = {**os.environ, "BENCH_T0": repr(time.time()), "KIVY_HOME": tmp}
            result = child_result(["--child", tmp, "--rounds", str(rounds)], env, 600)
            if result is None:
                return 1
            colds.append(result["cold_start_s"])
            warm_ups.append(result["warm_up_s"])
            peaks.append(result["peak_mb"])
            memories.append(result["memory"])
            before.append(result["memory_before_window"])
            homes.append(result["memory_at_home"])
            children.append(result["children"])
            work.extend(result["work"])
            settled.extend(result["settled"])
            for key, values in result["parts"].items():
                parts.setdefault(key, []).extend(values)
            for name, values in result["taps"].items():
                taps.setdefault(name, []).extend(values)

    def ms(values: list[float]) -> str:
        return f"p50 {pct(values, 0.5) * 1000:.0f} ms, p95 {pct(values, 0.95) * 1000:.0f} ms"

    everything = [v for values in taps.values() for v in values]
    print(f"kiosk bench: {load()} at the end")
    print(
        f"kiosk cold start to interactive home: median {statistics.median(colds):.2f} s "
        f"(runs: {', '.join(f'{c:.2f}' for c in colds)}; target ≤ 2 s)"
    )
    print(
        f"  every other screen built in idle time by {statistics.median(warm_ups):.2f} s "
        "(median; the home screen takes touches from the cold-start time on)"
    )
    last = max(memories, key=lambda m: m.get("rss", 0.0))
    at = memories.index(last)
    first, home, engine = before[at], homes[at], children[at]
    floor = child_result(["--floor"], dict(os.environ), 120)
    if floor is None:
        return 1
    bare = floor["memory"]

    def mb(m: dict[str, float]) -> str:
        return f"RSS {m.get('rss', 0):.0f}, PSS {m.get('pss', 0):.0f}, USS {m.get('uss', 0):.0f} MB"

    print(
        f"kiosk peak memory (max RSS of the app process): {max(peaks):.0f} MB "
        f"(target ≤ 200 MB); at the end {mb(last)} (anonymous {last.get('anon', 0):.0f} MB)"
    )
    print(f"  before the window (content model, sync, Kivy imported): {mb(first)}")
    print(f"  window created and home drawn: {mb(home)}")
    print(
        f"  plus {engine.get('count', 0):.0f} child process (the speech engine host): "
        f"{mb(engine)}; app and engine together PSS "
        f"{last.get('pss', 0) + engine.get('pss', 0):.0f} MB"
    )
    print(
        f"  for scale, a bare Kivy window of the same size drawing one label: peak "
        f"{floor['peak_mb']:.0f} MB, {mb(bare)} (the GL stack: Mesa llvmpipe and its LLVM); "
        f"the kiosk's own share of the peak ≈ {max(peaks) - floor['peak_mb']:.0f} MB"
    )
    extra = parts.get("extra_frames", [])
    print(
        f"tap → next frame, all navigations ({len(everything)} taps): {ms(everything)} "
        "(target p95 ≤ 100 ms)"
    )
    print(f"  waiting for the frame clock (maxfps 60): {ms(parts.get('wait', []))}")
    print(f"  the app's work (input, navigation, layout, text): {ms(work)}")
    print(f"  drawing + buffer flip (software GL): {ms(parts.get('draw', []))}")
    print(f"  process CPU time of that frame (all threads): {ms(parts.get('cpu', []))}")
    print(
        f"tap → settled (last frame layout still changed): {ms(settled)}; "
        f"{sum(1 for e in extra if e)} of {len(extra)} taps needed more than one frame"
    )
    print(f"{'navigation':34s} {'n':>3s} {'p50 ms':>7s} {'p95 ms':>7s}")
    for name, values in taps.items():
        print(
            f"{name:34s} {len(values):3d} {pct(values, 0.5) * 1000:7.0f} "
            f"{pct(values, 0.95) * 1000:7.0f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
