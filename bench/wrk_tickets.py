"""Benchmark: ticket issues per second measured from outside, with ``wrk``.

Beside bench/server_tickets.py (our own asyncio generator) this drives the server with
wrk (C, epoll; /usr/bin/wrk): a generated Lua script sends ``POST /api/v1/tickets``, each
with its own ``Idempotency-Key``, round-robin over the seven demo halls' kiosk tokens and
all their open queues. Each run gets a fresh ``kiosk-server demo`` (so every run starts
from empty queues), a 1 s wrk warm-up, then ``wrk -t2 -cN -d5s --latency``.

    .venv/bin/python bench/wrk_tickets.py [--db sqlite|postgres|both] [--workers 1,2]
        [--connections 10,50] [--runs 1] [--duration 5]

Prints tickets/s (201 answers only), p50/p99 and the load average per run. Any answer
other than 201 is counted and shown: a run with refusals is not a ticket rate.

Target (issue 16, 2 cores, quiet machine): ≥ 1,500 tickets/s with p99 < 30 ms at 10
connections on SQLite; ``--workers 2`` never slower than one; ≥ 1,200/s on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from _server_under_test import (
    ServerUnderTest,
    backends_from_argv,
    conditions,
    raise_fd_limit,
    server_under_test,
)

WRK = shutil.which("wrk") or "/usr/bin/wrk"
PATH = "/api/v1/tickets"
_MARK = "WRK_TICKETS "

# The Lua side: every thread walks the (token, body) list from its own offset, numbers
# its requests for the key, and counts the answers that are not a fresh ticket.
_LUA = """
local targets = %(targets)s
local run = "%(run)s"
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  n = 0
  other = 0
  step = id * 7919
  prefix = "wrk-" .. run .. "-" .. id .. "-"
end

function request()
  n = n + 1
  local t = targets[(n + step) %% #targets + 1]
  return wrk.format("POST", "%(path)s", {
    ["Authorization"] = t[1],
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = prefix .. n,
  }, t[2])
end

function response(status, headers, body)
  if status ~= 201 then
    other = other + 1
    if other == 1 then sample = status .. " " .. string.sub(body, 1, 200) end
  end
end

function done(summary, latency, requests)
  local other_total = 0
  local sample_any = ""
  for _, thread in ipairs(threads) do
    other_total = other_total + (thread:get("other") or 0)
    local s = thread:get("sample")
    if s ~= nil and sample_any == "" then sample_any = s end
  end
  io.write(string.format(
    "%(mark)s{\\"requests\\": %%d, \\"seconds\\": %%f, \\"p50_us\\": %%d, \\"p99_us\\": %%d, " ..
    "\\"max_us\\": %%d, \\"socket_errors\\": %%d, \\"not_201\\": %%d}\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    latency.max, summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout + summary.errors.status, other_total))
  if sample_any ~= "" then io.write("%(mark)sSAMPLE " .. sample_any .. "\\n") end
end
"""


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua one for ASCII text


def lua_script(server: ServerUnderTest, run: str) -> str:
    pairs = [
        (f"Bearer {hall.kiosk_token}", json.dumps({"queue": queue}))
        for hall in server.halls
        for queue in hall.queues
    ]
    targets = "{" + ", ".join(f"{{{_lua_string(a)}, {_lua_string(b)}}}" for a, b in pairs) + "}"
    return _LUA % {"targets": targets, "run": run, "path": PATH, "mark": _MARK}


@dataclass
class WrkResult:
    connections: int
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    socket_errors: int
    not_201: int
    sample: str
    load: str
    #: CPU seconds the server's processes spent during the run (user + system).
    server_cpu: float = 0.0

    @property
    def tickets(self) -> int:
        return self.requests - self.not_201

    @property
    def cpu_ms_per_ticket(self) -> float:
        """The server's CPU per ticket: unlike the rate, it hardly moves with the load
        other work puts on the machine."""
        return 1000 * self.server_cpu / self.tickets if self.tickets else 0.0

    @property
    def tickets_per_second(self) -> float:
        return (self.requests - self.not_201) / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        note = ""
        if self.not_201 or self.socket_errors:
            note = f"  !!! {self.not_201} not 201, {self.socket_errors} socket errors {self.sample}"
        return (
            f"c={self.connections:<3} {self.tickets_per_second:7.0f} tickets/s  "
            f"p50 {self.p50_ms:6.1f} ms  p99 {self.p99_ms:6.1f} ms  max {self.max_ms:6.1f} ms  "
            f"cpu {self.cpu_ms_per_ticket:.2f} ms/ticket ({self.requests} requests) "
            f"{self.load}{note}"
        )


def run_wrk(server: ServerUnderTest, folder: Path, connections: int, seconds: float) -> WrkResult:
    # A new run id per wrk run: the keys of the warm-up must not come back as replays.
    script = folder / f"tickets-{uuid.uuid4().hex[:8]}.lua"
    script.write_text(lua_script(server, script.stem))
    url = f"http://{server.host}:{server.port}{PATH}"
    cmd = [
        WRK,
        "-t2",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--latency",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]
    load = conditions()  # the load before the run: wrk itself adds to it
    cpu_before = server_cpu_seconds(server.pid)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=True)
    cpu = server_cpu_seconds(server.pid) - cpu_before
    found = re.search(rf"^{_MARK}(\{{.*\}})$", out.stdout, re.M)
    if found is None:
        raise SystemExit(f"wrk printed no summary:\n{out.stdout}\n{out.stderr}")
    data = json.loads(found.group(1))
    sample = re.search(rf"^{_MARK}SAMPLE (.*)$", out.stdout, re.M)
    return WrkResult(
        connections=connections,
        requests=int(data["requests"]),
        seconds=float(data["seconds"]),
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        socket_errors=int(data["socket_errors"]),
        not_201=int(data["not_201"]),
        sample=sample.group(1) if sample else "",
        load=load,
        server_cpu=cpu,
    )


def _processes_under(pid: int) -> list[int]:
    """``pid`` and its descendants (uvicorn's ``--workers`` children)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of the server process tree so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for proc in _processes_under(pid):
        try:
            fields = Path(f"/proc/{proc}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def one_run(backend: str, workers: int, connections: int, seconds: float) -> WrkResult:
    with (
        server_under_test(backend, workers=workers) as server,
        tempfile.TemporaryDirectory(prefix="wrk-tickets-") as tmp,
    ):
        queues = sum(len(h.queues) for h in server.halls)
        capacity = 999 * queues
        warm = run_wrk(server, Path(tmp), connections, 1)
        if warm.tickets == 0:
            # On a very busy machine a 1 s warm-up can end before the first answer.
            print(f"!!! the 1 s warm-up issued no ticket: {warm.line()}", flush=True)
        result = run_wrk(server, Path(tmp), connections, seconds)
        if warm.requests + result.requests > capacity:
            print(f"!!! {queues} queues hold {capacity} numbers a day: run was cut short")
        return result


def _ints(argv: list[str], flag: str, default: str) -> list[int]:
    value = argv[argv.index(flag) + 1] if flag in argv else default
    return [int(v) for v in value.split(",")]


def main(argv: list[str]) -> int:
    if not os.access(WRK, os.X_OK):
        raise SystemExit(f"wrk not found ({WRK}): apt-get install wrk")
    raise_fd_limit()
    if "--db" in argv:
        argv = [*argv, "--backend", argv[argv.index("--db") + 1]]
    workers_list = _ints(argv, "--workers", "1,2")
    levels = _ints(argv, "--connections", "10,50")
    runs = _ints(argv, "--runs", "1")[0]
    seconds = float(argv[argv.index("--duration") + 1]) if "--duration" in argv else 5.0
    print(f"== ticket issues measured with wrk (-t2, {seconds:g} s runs) ==", conditions())
    for backend in backends_from_argv(argv):
        for workers in workers_list:
            for connections in levels:
                for _ in range(runs):
                    result = one_run(backend, workers, connections, seconds)
                    print(f"[{backend:8}] workers={workers} {result.line()}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
