"""Benchmark: a district on one PostgreSQL behind nginx, with 1, 2 and 4 server processes.

200 halls (the seven demo halls copied, `_district_site.seed_district`), 2 kiosks per hall
long-polling ``GET /api/v1/kiosk/events`` through nginx (each re-polls at once and fetches
the content after a ``content`` event, as a kiosk does), and 100 counters (one in each of
100 halls) calling tickets issued beforehand. Meanwhile the district admin edits every
hall's content once (``GET`` then ``PUT /api/v1/halls/{id}/content``, spread over the run).

Measured per worker count: from the edit's answer to each of the hall's kiosks' long-poll
answer carrying its ``content`` event (target ≤ 2 s at p99, every kiosk), and from a
``call-next`` answer to each of that hall's kiosks' answer carrying the ``call`` event
(≤ 1 s at p99). Also the client's own CPU, the workers' CPU and the machine's load.

    .venv/bin/python bench/district_sim.py [--workers 1,2,4] [--runs 2] [--halls 200]
        [--kiosks-per-hall 2] [--counters 100] [--seconds 30] [--call-interval 3]
        [--edit-spread S] [--quick] [--json FILE]

``--edit-spread 0``: every hall edited at once (four editors back to back), as when the
district publishes one notice to all its halls.

``--quick``: 12 halls, 6 counters, 8 s, workers 1 and 2, one run (a smoke test).
The clients are plain asyncio streams on uvloop (bench/_http_load.py), to cost the two
shared cores as little as possible. Exit status 1 when a kiosk missed an edit or a call.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _district_clients import (
    Conn,
    Tally,
    auth,
    counter_loop,
    editor_loop,
    issue_tickets,
    kiosk_loop,
    load,
    login,
    pct,
)
from _district_site import (
    District,
    nginx_in_front,
    seed_district,
    start_workers,
    use_hall_clock,
)
from _http_load import install_uvloop
from _server_under_test import raise_fd_limit

from devkit.postgres import PostgresUnavailable, PrivatePostgres, find_bin_dir

#: Targets (issue 16), at p99.
EDIT_TARGET_S = 2.0
CALL_TARGET_S = 1.0


@dataclass
class RunResult:
    workers: int
    halls: int
    kiosks: int
    counters: int
    load_before: str
    load_after: str
    edits: int
    edit_lat: list[float]
    edit_expected: int
    edit_missing: int
    calls: int
    call_lat: list[float]
    call_expected: int
    call_missing: int
    empty_calls: int
    tickets: int
    tickets_per_s: float
    client_cpu: float  # share of one core over the measured phase
    worker_cpu: float  # share of one core, all workers together
    seconds: float
    seed_seconds: float
    errors: dict[str, int]
    #: p99 (ms) for kiosks held by the worker that made the change / by another worker.
    edit_p99_same_ms: float = float("nan")
    edit_p99_other_ms: float = float("nan")
    call_p99_same_ms: float = float("nan")
    call_p99_other_ms: float = float("nan")

    @property
    def complete(self) -> bool:
        return (
            self.edit_missing == 0 and self.call_missing == 0 and self.edits > 0 and self.calls > 0
        )


async def simulate(
    port: int, district: District, workers: list[Any], args: argparse.Namespace
) -> RunResult:
    tally = Tally()
    staff = await login(port)
    halls = district.halls
    tokens = {h.hall_id: h.kiosk_tokens for h in halls}
    conn = Conn(port)
    status, data = await conn.ask("GET", "/api/v1/counters", auth(staff))
    if status != 200:
        raise RuntimeError(f"counters: {status} {data[:200]!r}")
    by_hall: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in json.loads(data)["counters"]:
        if c["queues"]:
            by_hall[c["hall_id"]].append(c)
    # One counter in each of `counters` halls, spread over the district.
    step = max(1, len(halls) // max(1, args.counters))
    chosen = [(h.hall_id, by_hall[h.hall_id][0]) for h in halls[::step] if by_hall[h.hall_id]][
        : args.counters
    ]
    contents = {}
    for h in halls:
        status, data = await conn.ask("GET", f"/api/v1/halls/{h.hall_id}/content", auth(staff))
        if status != 200:
            raise RuntimeError(f"content of {h.hall_id}: {status}")
        contents[h.hall_id] = json.loads(data)["content"]
    conn.close()

    # Tickets for the counters to call, issued through nginx before the kiosks connect.
    calls_each = int(args.seconds / args.call_interval) + 2
    jobs = [
        (tokens[hall_id][0], counter["queues"][0])
        for _ in range(calls_each)
        for hall_id, counter in chosen
    ]
    issued, took = await issue_tickets(port, jobs, 50, tally)
    print(f"    {issued} tickets issued in {took:.1f} s (load {load()})", flush=True)
    # The kiosks: every one connected and caught up before anything happens.
    ready = asyncio.Event()
    counted = [0]
    total = len(halls) * args.kiosks_per_hall
    kiosk_tasks = []
    idx = 0
    for h in halls:
        for token in tokens[h.hall_id]:
            tally.hall_kiosks[h.hall_id].append(idx)
            kiosk_tasks.append(
                asyncio.create_task(
                    kiosk_loop(idx, h.hall_id, token, port, tally, ready, counted, total)
                )
            )
            idx += 1
    t_connect = time.perf_counter()
    await asyncio.wait_for(ready.wait(), 180)
    print(
        f"    {total} kiosks connected and caught up in {time.perf_counter() - t_connect:.1f} s",
        flush=True,
    )

    await asyncio.sleep(1.0)

    load_before = load()
    cpu0, wcpu0, t0 = (
        time.process_time(),
        sum(w.cpu_seconds() for w in workers),
        time.perf_counter(),
    )
    until = t0 + args.seconds
    order = [h.hall_id for h in halls]
    random.shuffle(order)
    editors = 4
    spread = args.seconds if args.edit_spread is None else args.edit_spread
    spacing = spread * editors / max(1, len(order))
    work = [
        counter_loop(port, staff, c["id"], hall_id, until, args.call_interval, tally)
        for hall_id, c in chosen
    ] + [
        editor_loop(
            port, staff, order[e::editors], contents, t0 + e * spacing / editors, spacing, tally
        )
        for e in range(editors)
    ]
    await asyncio.gather(*work)
    # Let the last changes arrive (a missing one shows as missing, not as a hang).
    drain_until = time.perf_counter() + 15
    while tally.outstanding() and time.perf_counter() < drain_until:  # noqa: ASYNC110
        await asyncio.sleep(0.1)
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    wcpu = sum(w.cpu_seconds() for w in workers) - wcpu0
    load_after = load()
    for task in kiosk_tasks:
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.gather(*kiosk_tasks, return_exceptions=True)

    edit_lat, edit_exp, edit_miss = tally.latencies("content")
    call_lat, call_exp, call_miss = tally.latencies("call")
    edit_same, edit_other = tally.split("content")
    call_same, call_other = tally.split("call")
    return RunResult(
        workers=len(workers),
        halls=len(halls),
        kiosks=total,
        counters=len(chosen),
        load_before=load_before,
        load_after=load_after,
        edits=sum(1 for k in tally.sent if k[0] == "content"),
        edit_lat=edit_lat,
        edit_expected=edit_exp,
        edit_missing=edit_miss,
        calls=sum(1 for k in tally.sent if k[0] == "call"),
        call_lat=call_lat,
        call_expected=call_exp,
        call_missing=call_miss,
        empty_calls=tally.empty_calls,
        tickets=issued,
        tickets_per_s=issued / took if took else 0.0,
        client_cpu=cpu / elapsed,
        worker_cpu=wcpu / elapsed,
        seconds=elapsed,
        seed_seconds=district.seed_seconds,
        errors=dict(tally.errors),
        edit_p99_same_ms=pct(edit_same, 99) * 1000,
        edit_p99_other_ms=pct(edit_other, 99) * 1000,
        call_p99_same_ms=pct(call_same, 99) * 1000,
        call_p99_other_ms=pct(call_other, 99) * 1000,
    )


def run_once(pg: PrivatePostgres, workers: int, args: argparse.Namespace) -> RunResult:
    url = pg.create_database()
    folder = Path(tempfile.mkdtemp(prefix=f"district-{workers}w-"))
    try:
        district = seed_district(url, args.halls, args.kiosks_per_hall)
        with (
            start_workers(url, workers, folder) as procs,
            nginx_in_front(procs, folder / "nginx") as port,
        ):
            result = asyncio.run(simulate(port, district, procs, args))
        log = folder / "nginx" / "error.log"
        if result.errors and log.exists():  # e.g. why nginx answered 502
            tail = log.read_text("utf-8", "replace").strip().splitlines()[-5:]
            print("    nginx error.log:", *tail, sep="\n      ", flush=True)
        if result.errors:  # and what the workers logged of it (a 500's traceback)
            for worker_log in sorted(folder.glob("worker*/server.log")):
                text = worker_log.read_text("utf-8", "replace")
                start = text.find("Traceback")
                if start >= 0:
                    lines = text[start:].splitlines()[:60]
                    print(f"    {worker_log.parent.name}:", *lines, sep="\n      ", flush=True)
        return result
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        with contextlib.suppress(Exception):
            pg.drop_database(url)


def _ms(values: list[float], p: float) -> str:
    return f"{pct(values, p) * 1000:,.0f}"


def print_table(results: list[RunResult]) -> None:
    print()
    print(
        "| workers | load before → after | edits → kiosk answers (missing) "
        "| edit p50 / p99 / max ms | calls → kiosk answers (missing) "
        "| call p50 / p99 / max ms | client CPU | workers' CPU |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        edit_ok = "✔" if pct(r.edit_lat, 99) <= EDIT_TARGET_S else "✘"
        call_ok = "✔" if pct(r.call_lat, 99) <= CALL_TARGET_S else "✘"
        print(
            f"| {r.workers} | {r.load_before} → {r.load_after} "
            f"| {r.edits} → {len(r.edit_lat)}/{r.edit_expected} ({r.edit_missing}) "
            f"| {_ms(r.edit_lat, 50)} / **{_ms(r.edit_lat, 99)}** / {_ms(r.edit_lat, 100)} "
            f"{edit_ok} "
            f"| {r.calls} → {len(r.call_lat)}/{r.call_expected} ({r.call_missing}) "
            f"| {_ms(r.call_lat, 50)} / **{_ms(r.call_lat, 99)}** / {_ms(r.call_lat, 100)} "
            f"{call_ok} "
            f"| {r.client_cpu:.0%} | {r.worker_cpu:.0%} |"
        )
    print()


def _parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated")
    p.add_argument("--runs", type=int, default=2, help="runs per worker count")
    p.add_argument("--halls", type=int, default=200)
    p.add_argument("--kiosks-per-hall", type=int, default=2)
    p.add_argument("--counters", type=int, default=100)
    p.add_argument("--seconds", type=float, default=30.0, help="length of the measured phase")
    p.add_argument(
        "--call-interval", type=float, default=3.0, help="seconds between a counter's calls"
    )
    p.add_argument(
        "--edit-spread",
        type=float,
        help="seconds over which the halls are edited (default --seconds; 0: all at once, "
        "as when the district publishes to every hall)",
    )
    p.add_argument("--quick", action="store_true", help="a smoke test: few halls, seconds")
    p.add_argument("--json", type=Path, help="write the results here too")
    p.add_argument("--backend", help="ignored (run_all passes it): always PostgreSQL")
    args = p.parse_args(argv)
    if args.quick:
        args.halls = min(args.halls, 12)
        args.counters = min(args.counters, 6)
        args.seconds = min(args.seconds, 8.0)
        args.call_interval = min(args.call_interval, 1.0)
        if args.workers == "1,2,4":
            args.workers = "1,2"
        args.runs = 1
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    if args.backend == "sqlite":
        print("district simulation skipped: it runs on PostgreSQL only (--backend sqlite)")
        return 0
    try:
        find_bin_dir()
    except PostgresUnavailable as exc:
        print(f"!!! district simulation SKIPPED: {exc}", flush=True)
        return 0
    if shutil.which("nginx") is None:
        print("!!! district simulation SKIPPED: no nginx (scripts/system-deps.sh)", flush=True)
        return 0
    loop = install_uvloop()
    fds = raise_fd_limit()
    use_hall_clock()
    print(
        f"district simulation: {args.halls} halls × {args.kiosks_per_hall} kiosks, "
        f"{args.counters} counters (a call every {args.call_interval:g} s each), every hall "
        f"edited once in {args.seconds:g} s; workers {args.workers}, {args.runs} run(s) each; "
        f"{os.cpu_count()} cpus (nproc), load {load()}, {loop}, fd limit {fds}",
        flush=True,
    )
    results: list[RunResult] = []
    pg = PrivatePostgres(max_connections=500).start()
    try:
        for workers in [int(w) for w in args.workers.split(",")]:
            for run in range(args.runs):
                r = run_once(pg, workers, args)
                results.append(r)
                print(
                    f"  {workers} worker(s), run {run + 1}: seeded {r.halls} halls in "
                    f"{r.seed_seconds:.1f} s; {r.tickets} tickets at {r.tickets_per_s:.0f}/s; "
                    f"{r.edits} edits, {r.calls} calls ({r.empty_calls} found no one) in "
                    f"{r.seconds:.1f} s; edit p99 {_ms(r.edit_lat, 99)} ms, call p99 "
                    f"{_ms(r.call_lat, 99)} ms; missing {r.edit_missing} edit / "
                    f"{r.call_missing} call answers; p99 same / other worker: edit "
                    f"{r.edit_p99_same_ms:,.0f} / {r.edit_p99_other_ms:,.0f} ms, call "
                    f"{r.call_p99_same_ms:,.0f} / {r.call_p99_other_ms:,.0f} ms; "
                    f"client CPU {r.client_cpu:.0%}, workers "
                    f"{r.worker_cpu:.0%}; load {r.load_before} → {r.load_after}"
                    + (f"; errors {r.errors}" if r.errors else ""),
                    flush=True,
                )
    finally:
        pg.stop()
    print_table(results)
    if args.json:
        args.json.write_text(
            json.dumps(
                [
                    {
                        **{k: v for k, v in vars(r).items() if not k.endswith("_lat")},
                        "edit_p50_ms": pct(r.edit_lat, 50) * 1000,
                        "edit_p99_ms": pct(r.edit_lat, 99) * 1000,
                        "edit_max_ms": pct(r.edit_lat, 100) * 1000,
                        "call_p50_ms": pct(r.call_lat, 50) * 1000,
                        "call_p99_ms": pct(r.call_lat, 99) * 1000,
                        "call_max_ms": pct(r.call_lat, 100) * 1000,
                        "complete": r.complete,
                    }
                    for r in results
                ],
                indent=2,
            )
        )
    incomplete = [r for r in results if not r.complete]
    if incomplete:
        print(f"!!! {len(incomplete)} run(s) where a kiosk missed an edit or a call", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
