"""Many workers: 30,000 WhatsApp recipients (1,000 batches of 30) against a loopback server
answering after 200 ms, on a durable redis-server (appendfsync always) in a temp folder.

  four workers at concurrency 16 (separate `callsavvy worker` processes; the time from
  submitting to the last batch settled) against one process at concurrency 64 with a
  SQLite journal file: ratio = one process's time / the workers' time, target >= 0.9;
  the Redis journal against the SQLite one, in one process at concurrency 64:
  ratio = SQLite's time / Redis's time, target >= 0.9.

Both pairs run in the same run on the same servers. --quick: 3,000 recipients at 50 ms.

    python benchmarks/distributed.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import anyio

from benchmarks._report import Row, print_table, row
from benchmarks._server import serve
from callsavvy_async import AsyncCallsavvy
from callsavvy_async.bulk import JobStore, RedisJournal
from callsavvy_async.distributed import submit_job, wait_job
from callsavvy_async.resources.messaging import Whatsapp
from tests.redis_server import RedisServer

UID, MESSAGE = "benchmark-channel", "Your appointment is tomorrow."
KEYS = ("pk-benchmark", "sk-benchmark")
WORKERS, WORKER_CONCURRENCY, CONCURRENCY = 4, 16, 64


def numbers(count: int) -> list[str]:
    return [f"+4479{n:08d}" for n in range(count)]


async def one_process(base_url: str, count: int, journal: str | JobStore) -> float:
    async with AsyncCallsavvy(
        public_key=KEYS[0], private_key=KEYS[1], base_url=base_url, max_connections=CONCURRENCY
    ) as cs:
        started = time.perf_counter()
        report = await cs.whatsapp.send_bulk(
            UID, numbers(count), MESSAGE, concurrency=CONCURRENCY, journal=journal
        )
        elapsed = time.perf_counter() - started
    if report.sent != count:
        raise RuntimeError(f"the send did not send everything: {report!r}")
    return elapsed


def start_workers(broker: str, base_url: str, logs: Path) -> list[subprocess.Popen[bytes]]:
    """The workers, each logging to a file in `logs`; returns once all are taking shards."""
    env = dict(
        os.environ,
        CALLSAVVY_PUBLIC_KEY=KEYS[0],
        CALLSAVVY_PRIVATE_KEY=KEYS[1],
        CALLSAVVY_BASE_URL=base_url,
    )
    command = [
        sys.executable, "-m", "callsavvy_async", "worker", "--broker", broker,
        "--concurrency", str(WORKER_CONCURRENCY),
    ]  # fmt: skip
    files = [logs / f"worker{n}.log" for n in range(WORKERS)]
    pool = []
    for file in files:
        with file.open("wb") as log:
            pool.append(
                subprocess.Popen(
                    command, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=log
                )
            )
    deadline = time.monotonic() + 60
    while not all("taking shards" in file.read_text() for file in files):
        if time.monotonic() > deadline or any(p.poll() is not None for p in pool):
            raise RuntimeError("the workers did not start")
        time.sleep(0.05)
    return pool


async def workers(broker: str, count: int) -> float:
    started = time.perf_counter()
    channel = Whatsapp.channel(UID, MESSAGE)
    await submit_job(broker, channel, numbers(count), job_id="bench", batch_size=30)
    report = await wait_job(broker, "bench", poll=0.05)
    elapsed = time.perf_counter() - started
    if report.sent != count:
        raise RuntimeError(f"the job did not send everything: {report!r}")
    return elapsed


def run(quick: bool = False) -> list[Row]:
    count, latency = (3_000, 0.05) if quick else (30_000, 0.2)
    with (
        tempfile.TemporaryDirectory() as folder,
        serve(delay=latency) as server,
    ):
        redis = RedisServer(Path(folder))
        redis.start()
        base_url = f"{server.url}/v1"
        pool = start_workers(redis.url, base_url, Path(folder))
        try:
            many = anyio.run(workers, redis.url, count, backend="asyncio")
        finally:
            for process in pool:
                os.killpg(process.pid, signal.SIGTERM)
            for process in pool:
                process.wait(timeout=60)
        journal = str(Path(folder) / "job.sqlite")
        sqlite = anyio.run(one_process, base_url, count, journal, backend="asyncio")
        shared = RedisJournal(redis.url, job="one-process")
        on_redis = anyio.run(one_process, base_url, count, shared, backend="asyncio")
        redis.stop()
    ms = f"{round(latency * 1000)} ms"
    return [
        row(
            f"{WORKERS} workers x {WORKER_CONCURRENCY} vs 1 process x {CONCURRENCY}, s ({ms})",
            many,
            sqlite,
            ">= 0.9",
            ratio=sqlite / many,
        ),
        row(
            f"Redis journal vs SQLite journal, 1 process x {CONCURRENCY}, s ({ms})",
            on_redis,
            sqlite,
            ">= 0.9",
            ratio=sqlite / on_redis,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: proves it runs")
    args = parser.parse_args()
    print_table(run(args.quick), "many workers")


if __name__ == "__main__":
    main()
