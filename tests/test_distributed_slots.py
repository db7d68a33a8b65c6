"""What a stop strands in a distributed job: Ctrl-C on the submitter leaves the job running
on the workers, and a worker holds no more shards than it has free slots, so the rest of
the queue stays undelivered for the other workers."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
import pytest
import redis.asyncio as aioredis

from callsavvy_async.bulk._redis import JobKeys
from callsavvy_async.distributed._broker import QUEUE
from callsavvy_async.sandbox import Sandbox, serving
from tests.batch_log import BatchLog, serving_log
from tests.redis_server import RedisServer
from tests.test_distributed import BATCH, finished, numbers, submit, until
from tests.workers import ROOT, environment, kill, start_worker, workers

pytestmark = pytest.mark.anyio

GROUP = "taskiq"  # taskiq-redis's consumer group


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # taskiq workers and redis-py's client are asyncio's


def submitter_command(recipients: Path, url: str, job: str, batch_size: int = 10) -> list[str]:
    send = ["send", "sms", "-m", "hi", "-f", str(recipients), "--batch-size", str(batch_size)]
    return [sys.executable, "-m", "callsavvy_async", *send, "--broker", url, "--job-id", job]


async def interrupt(
    command: list[str],
    base: str,
    ready: Callable[[], Awaitable[bool]],
    pass_fds: tuple[int, ...] = (),
    signalled: Callable[[], None] = lambda: None,
) -> tuple[int, str, str]:
    """Run the submitter until `ready`, then Ctrl-C its process group and call
    `signalled`: its exit code, stdout and stderr."""
    submitter = await anyio.open_process(
        command, cwd=ROOT, env=environment(base), start_new_session=True, pass_fds=pass_fds
    )
    try:
        with anyio.fail_after(30):
            while not await ready():  # noqa: ASYNC110 - polling other processes
                await anyio.sleep(0.02)
        os.killpg(submitter.pid, signal.SIGINT)
        signalled()
        assert submitter.stdout is not None and submitter.stderr is not None
        with anyio.fail_after(30):
            output = b"".join([chunk async for chunk in submitter.stdout]).decode()
            messages = b"".join([chunk async for chunk in submitter.stderr]).decode()
            code = await submitter.wait()
    finally:
        if submitter.returncode is None:
            os.killpg(submitter.pid, signal.SIGKILL)
        await submitter.aclose()
    return code, output, messages


async def test_ctrl_c_on_the_submitter_leaves_the_job_running_on_the_workers(
    redis_server: RedisServer, redis_client: aioredis.Redis, tmp_path: Path
) -> None:
    sb = Sandbox()
    sb.inject("sendSMS", latency=0.1)
    people = numbers(600)
    recipients = tmp_path / "people.csv"
    recipients.write_text("phone\n" + "\n".join(people) + "\n")
    command = submitter_command(recipients, redis_server.url, "ctrl-c")
    sent_then: list[int] = []

    async def running_and_sending() -> bool:
        if await redis_client.hget(JobKeys("ctrl-c").meta, "state") != "running":
            return False
        sent_then[:] = [len(sb.ledger)]
        return sent_then[0] >= 100

    async with serving(sb) as base:
        with workers(redis_server.url, base, 2, 4, tmp_path):
            code, output, messages = await interrupt(command, base, running_and_sending)
            report = await finished(redis_server.url, "ctrl-c")
    assert code == 130, messages
    assert sent_then[0] < len(people)
    assert "Traceback" not in messages
    assert messages.strip().splitlines() == [
        "interrupted: job ctrl-c goes on running on the workers; see it with: "
        f"callsavvy report ctrl-c --broker {redis_server.url}"
    ]
    assert output == ""
    assert report.state == "done"
    assert report.sent + report.queued == len(people)
    assert Counter(entry.recipient for entry in sb.ledger) == Counter(people)


async def test_ctrl_c_while_submitting_leaves_the_frozen_part_running_and_a_rerun_adds_the_rest(
    redis_server: RedisServer, redis_client: aioredis.Redis, tmp_path: Path
) -> None:
    sb = Sandbox()
    people = numbers(5_000)
    keys = JobKeys("half")
    reading, writing = os.pipe()  # the submitter reads /dev/fd/N, as from `-f <(command)`
    head = ("phone\n" + "\n".join(people[:4_500]) + "\n").encode()
    feeder = threading.Thread(target=os.write, args=(writing, head), daemon=True)
    feeder.start()

    async def partly_frozen() -> bool:
        return await redis_client.hlen(keys.shards) > 0

    recipients = tmp_path / "people.csv"
    recipients.write_text("phone\n" + "\n".join(people) + "\n")
    async with serving(sb) as base:
        with workers(redis_server.url, base, 2, 4, tmp_path):
            command = submitter_command(Path(f"/dev/fd/{reading}"), redis_server.url, "half", 100)
            try:
                # Ctrl-C in a terminal stops the command feeding the pipe too; the read
                # blocked on the pipe then returns, and the submitter, already cancelled,
                # stops at its next Redis call.
                code, _, messages = await interrupt(
                    command, base, partly_frozen, (reading,), lambda: os.close(writing)
                )
            finally:
                os.close(reading)
                with contextlib.suppress(OSError):
                    os.close(writing)
                feeder.join(10)
            await until(lambda: len(sb.ledger) > 0)
            stopped = await redis_client.hgetall(keys.counts)
            again = await anyio.to_thread.run_sync(
                lambda: subprocess.run(
                    submitter_command(recipients, redis_server.url, "half", 100),
                    cwd=ROOT,
                    env=environment(base),
                    capture_output=True,
                    text=True,
                    timeout=60,
                )
            )
    assert code == 130, messages
    assert "Traceback" not in messages
    assert messages.strip().splitlines() == [
        "interrupted: job half is partly submitted: its batches frozen so far run on the "
        "workers; run the same command again to submit the rest; see it with: "
        f"callsavvy report half --broker {redis_server.url}"
    ]
    assert 0 < int(stopped["frozen"]) < len(people) // 100
    assert again.returncode == 0, again.stderr
    assert Counter(entry.recipient for entry in sb.ledger) == Counter(people)


async def deliveries(client: aioredis.Redis) -> tuple[dict[str, int], int]:
    """Shards read but not acknowledged, by consumer, and shards not read yet."""
    pending = await client.xpending(QUEUE, GROUP)
    by_consumer = {str(c["name"]): int(c["pending"]) for c in pending["consumers"]}
    (group,) = [g for g in await client.xinfo_groups(QUEUE) if g["name"] == GROUP]
    return by_consumer, int(group["lag"])


async def test_a_worker_reads_one_shard_per_free_slot_so_a_kill_strands_only_its_slots(
    redis_server: RedisServer, redis_client: aioredis.Redis, tmp_path: Path
) -> None:
    gate = threading.Event()
    log = BatchLog(gate=gate)
    people = numbers(800)  # 80 batches, 10 shards of 8
    started: list[subprocess.Popen[bytes]] = []
    with serving_log(log) as base:
        try:
            await submit(redis_server.url, people, "slots")
            started.append(start_worker(redis_server.url, base, 2, tmp_path / "first.log"))
            await until(lambda: log.waiting == 2)
            first_read, first_lag = await deliveries(redis_client)
            started.append(start_worker(redis_server.url, base, 2, tmp_path / "second.log"))
            await until(lambda: log.waiting == 4)
            both_read, both_lag = await deliveries(redis_client)
            assert kill(started[0]) == -signal.SIGKILL
        finally:
            gate.set()
        try:
            report = await finished(redis_server.url, "slots")
        finally:
            for worker in started:
                kill(worker)
    assert list(first_read.values()) == [2]
    assert first_lag == 8
    assert len(both_read) == 2 and all(n <= 2 for n in both_read.values())
    assert both_lag == 6, "a worker read more shards than it has slots"
    assert report.unknown == 2 * BATCH  # the killed worker's two batches in flight
    assert report.sent == len(people) - 2 * BATCH
    assert Counter(log.numbers) == Counter(people)
