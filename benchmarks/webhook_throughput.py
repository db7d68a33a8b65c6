"""Webhook throughput: requests/s and p99 of WebhookApp under uvicorn (one worker) against one
FastAPI route (a pydantic model of the payload: what most users would write instead), one
Starlette route, and a bare ASGI app doing the same parse-and-answer (printed for context).

Each app runs in its own uvicorn process on 127.0.0.1, once with uvicorn's pure-Python stack
(h11, asyncio) and, where installed (`pip install -e ".[bench]"`), once with its fast one
(httptools, uvloop), where the server's own cost hides less of the apps'. The servers
share one CPU and one load process has the other; it alternates between the servers in
short rounds over kept-alive connections, and each ratio is the median of the rounds' own
ratios. Targets: at least 1.3x FastAPI on both stacks; against Starlette at least 0.8x
requests/s and p99 at most 1.25x on h11, at least 0.65x and p99 at most 1.45x on
httptools + uvloop.

    python benchmarks/webhook_throughput.py [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks._report import Row, median, print_table, row

ROOT = Path(__file__).resolve().parent.parent
APPS = {"ours": "ours", "bare ASGI": "bare", "Starlette": "starlette", "FastAPI": "fastapi"}
STACKS = {
    "h11+asyncio": ["--http", "h11", "--loop", "asyncio"],
    "httptools+uvloop": ["--http", "httptools", "--loop", "uvloop"],
}
TARGETS = {  # stack: (req/s vs FastAPI, req/s vs Starlette, p99 vs Starlette)
    "h11+asyncio": (">= 1.3", ">= 0.8", "<= 1.25"),
    "httptools+uvloop": (">= 1.3", ">= 0.65", "<= 1.45"),
}


def stacks(quick: bool) -> list[str]:
    """The server stacks to measure: uvicorn's pure-Python one, and its fast one if here."""
    fast = all(importlib.util.find_spec(name) for name in ("httptools", "uvloop"))
    return ["h11+asyncio"] if quick or not fast else list(STACKS)


def _pinned(cpu: int) -> list[str]:
    """A command prefix that keeps a process on one CPU, when there are two to spare."""
    if len(os.sched_getaffinity(0)) < 2 or not Path("/usr/bin/taskset").exists():
        return []
    return ["taskset", "-c", str(sorted(os.sched_getaffinity(0))[cpu])]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def _served(app: str, stack: str = "h11+asyncio") -> Iterator[int]:
    """uvicorn serving APP (in benchmarks._webhook_apps unless given as module:name) with
    STACK on a free loopback port."""
    port = _free_port()
    command = [
        *_pinned(0),
        sys.executable,
        "-m",
        "uvicorn",
        app if ":" in app else f"benchmarks._webhook_apps:{app}",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
        "--no-access-log",
        "--timeout-keep-alive",
        "120",
        *STACKS[stack],
    ]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"uvicorn serving {app} did not start")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def _load(ports: list[int], rounds: int, requests: int, connections: int) -> dict[str, Any]:
    """Per round and per port: requests/s and p99 (ms), from the load process."""
    command = [
        *_pinned(1),
        sys.executable,
        "-m",
        "benchmarks._load",
        *(str(n) for n in (rounds, requests, connections, *ports)),
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    if result.returncode:
        raise RuntimeError(f"the load process failed:\n{result.stderr}")
    measured: dict[str, Any] = json.loads(result.stdout)
    return measured


def run(quick: bool = False) -> list[Row]:
    """Measure and return the table's rows."""
    rounds, requests, connections = (3, 300, 8) if quick else (40, 1_500, 32)
    rows: list[Row] = []
    for stack_name in stacks(quick):
        with contextlib.ExitStack() as servers:
            ports = [servers.enter_context(_served(app, stack_name)) for app in APPS.values()]
            measured = _load(ports, rounds, requests, connections)
        rps = {name: [r[i] for r in measured["rps"]] for i, name in enumerate(APPS)}
        p99 = {name: [r[i] for r in measured["p99_ms"]] for i, name in enumerate(APPS)}
        vs_fastapi, vs_starlette, p99_starlette = TARGETS[stack_name]
        rows += [
            _paired(f"webhook req/s vs FastAPI ({stack_name})", rps, "FastAPI", vs_fastapi),
            _paired(f"webhook req/s vs Starlette ({stack_name})", rps, "Starlette", vs_starlette),
            _paired(f"webhook p99 ms vs Starlette ({stack_name})", p99, "Starlette", p99_starlette),
            _paired(f"webhook req/s vs bare ASGI ({stack_name})", rps, "bare ASGI", "context"),
        ]
    return rows


def _paired(measure: str, values: dict[str, list[float]], baseline: str, target: str) -> Row:
    """A row whose ratio is the median of the rounds' own ratios, robust to drifting speed."""
    ratios = [ours / base for ours, base in zip(values["ours"], values[baseline], strict=True)]
    return row(
        measure, median(values["ours"]), median(values[baseline]), target, ratio=median(ratios)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few requests: proves it runs")
    args = parser.parse_args()
    print_table(run(args.quick), "webhook throughput under uvicorn (medians of rounds)")


if __name__ == "__main__":
    main()
