"""Memory of a bulk send against the number of recipients: it must stay flat.

Each size runs in a fresh process: a WhatsApp send_bulk over a generator of N numbers to a
transport that answers at once, sampling RSS as batches complete. Growth is the peak RSS
during the job minus the RSS before it. Targets: growth at most 50 MB at every size, and
the last quarter of the largest run no higher than its first quarter (+5 MB of slack).

    python benchmarks/memory.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from benchmarks._report import Row, print_table, row

ROOT = Path(__file__).resolve().parent.parent
PAGE = os.sysconf("SC_PAGE_SIZE")
MB = 1 << 20


def rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


def measure(count: int) -> dict[str, float]:
    """Run one job of `count` recipients in this process; return RSS figures in MB."""
    import anyio
    import httpx

    from callsavvy_async import AsyncCallsavvy

    answer = b'{"resource":"sendWhatsapp","status":"success","data":{"status":"sent"}}'
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=answer))
    samples: list[tuple[int, int]] = []

    def numbers() -> Iterator[str]:
        for n in range(count):
            yield f"+1555{n:08d}"

    def sample(report: object) -> None:
        done = getattr(report, "total", 0)
        if not samples or done - samples[-1][0] >= count // 200:
            samples.append((done, rss()))

    async def job() -> None:
        async with AsyncCallsavvy(
            public_key="pk", private_key="sk-secret", transport=transport
        ) as cs:
            await cs.whatsapp.send_bulk("uid", numbers(), "hi", concurrency=16, on_progress=sample)

    before = rss()
    anyio.run(job)
    quarter = max(len(samples) // 4, 1)
    return {
        "growth": (max(r for _, r in samples) - before) / MB,
        "first_quarter": (max(r for _, r in samples[:quarter]) - before) / MB,
        "last_quarter": (max(r for _, r in samples[-quarter:]) - before) / MB,
    }


def _in_subprocess(count: int) -> dict[str, float]:
    command = [sys.executable, "-m", "benchmarks.memory", "--child", str(count)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=True
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


def run(quick: bool = False) -> list[Row]:
    """Measure and return the table's rows."""
    small, large = (10_000, 100_000) if quick else (100_000, 1_000_000)
    low, high = _in_subprocess(small), _in_subprocess(large)
    return [
        row(
            f"RSS growth MB, {large:,} vs {small:,} recipients",
            high["growth"] + 1,
            low["growth"] + 1,
            "<= 1.5",
        ),
        row(f"RSS growth MB, {large:,} recipients vs 50 MB", high["growth"], 50.0, "<= 1.0"),
        row(
            f"RSS last vs first quarter of {large:,} (MB, +5 slack)",
            high["last_quarter"],
            high["first_quarter"] + 5,
            "<= 1.0",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: proves it runs")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return
    print_table(run(args.quick), "bulk send memory against recipients")


if __name__ == "__main__":
    main()
