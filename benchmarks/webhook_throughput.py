"""Webhook throughput: requests/s and p99 of WebhookApp under uvicorn (one worker) against a
bare ASGI app doing the same parse-and-answer and against one Starlette route.

Each app runs in its own uvicorn process on 127.0.0.1; a separate process generates the
load over keep-alive connections. Variants are interleaved round by round; medians are
reported. Targets: at least 0.8x the bare app, at least 1.5x Starlette.

    python benchmarks/webhook_throughput.py [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from benchmarks._report import Row, median, print_table, row

ROOT = Path(__file__).resolve().parent.parent
APPS = {"ours": "ours", "bare ASGI": "bare", "Starlette": "starlette"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def _served(app: str) -> Iterator[int]:
    """uvicorn serving benchmarks._webhook_apps:APP on a free loopback port."""
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        f"benchmarks._webhook_apps:{app}",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
        "--no-access-log",
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


def _load(port: int, requests: int, connections: int) -> dict[str, float]:
    command = [sys.executable, "-m", "benchmarks._load", str(port), str(requests), str(connections)]
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    measured: dict[str, float] = json.loads(result.stdout)
    return measured


def run(quick: bool = False) -> list[Row]:
    """Measure and return the table's rows."""
    requests, rounds, connections = (1_000, 2, 16) if quick else (6_000, 5, 32)
    rps: dict[str, list[float]] = {name: [] for name in APPS}
    p99: dict[str, list[float]] = {name: [] for name in APPS}
    with contextlib.ExitStack() as stack:
        ports = {name: stack.enter_context(_served(app)) for name, app in APPS.items()}
        for port in ports.values():
            _load(port, 200, 4)
        for _ in range(rounds):
            for name, port in ports.items():
                measured = _load(port, requests, connections)
                rps[name].append(measured["rps"])
                p99[name].append(measured["p99_ms"])
    ours = median(rps["ours"])
    return [
        row("webhook req/s vs bare ASGI", ours, median(rps["bare ASGI"]), ">= 0.8"),
        row("webhook req/s vs Starlette route", ours, median(rps["Starlette"]), ">= 1.5"),
        row(
            "webhook p99 ms vs bare ASGI", median(p99["ours"]), median(p99["bare ASGI"]), "<= 1.25"
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few requests: proves it runs")
    args = parser.parse_args()
    print_table(run(args.quick), "webhook throughput under uvicorn (medians of rounds)")


if __name__ == "__main__":
    main()
