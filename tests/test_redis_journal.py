"""RedisJournal as a bulk job's journal, on a real redis-server: the job sends each
recipient once, a re-run sends nothing already done, a second run while one holds the
job is refused (a dead run's lease expires), and a Redis that can lose acknowledged
writes is refused before anything is sent."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import anyio
import pytest
import redis.asyncio as aioredis

from callsavvy_async.bulk import (
    JournalInUseError,
    JournalMismatchError,
    RedisJournal,
    VolatileRedisError,
)
from callsavvy_async.bulk._redis import JobKeys
from callsavvy_async.distributed import submit_job
from callsavvy_async.resources.messaging import Sms
from callsavvy_async.sandbox import Sandbox
from tests.redis_server import RedisServer

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # redis-py's client is asyncio's


def numbers(count: int, start: int = 0) -> list[str]:
    return [f"+4479{n:08d}" for n in range(start, start + count)]


async def test_a_job_on_redis_sends_once_and_a_rerun_skips_what_is_done(
    redis_server: RedisServer,
) -> None:
    sb = Sandbox(seed=1)
    sb.inject("sendSMS", lost_answer_rate=0.2)
    source = [*numbers(1_000), *numbers(50), "bad number"]
    async with sb.client() as cs:
        journal = RedisJournal(redis_server.url)
        first = await cs.sms.send_bulk(source, "hi", batch_size=10, journal=journal)
        again = await cs.sms.send_bulk(
            source, "hi", batch_size=10, journal=RedisJournal(redis_server.url)
        )
    ledger = Counter(entry.recipient for entry in sb.ledger)
    assert max(ledger.values()) == 1
    assert (first.duplicate, first.invalid, first.total) == (50, 1, 1_051)
    assert first.unknown > 0
    assert first.sent + first.queued + first.unknown == 1_000
    unknown = {p.recipient for p in first.problems() if p.outcome == "unknown"}
    assert len(unknown) == first.unknown
    assert (again.batches, again.skipped, again.unknown) == (
        0,
        1_000 - first.unknown,
        first.unknown,
    )
    assert sum(ledger.values()) == len(sb.ledger)


async def test_another_job_on_the_same_keys_is_refused(redis_server: RedisServer) -> None:
    sb = Sandbox(seed=1)
    async with sb.client() as cs:
        journal = RedisJournal(redis_server.url, job="spring")
        await cs.sms.send_bulk(numbers(3), "hi", journal=journal)
        with pytest.raises(JournalMismatchError):
            await cs.sms.send_bulk(
                numbers(3), "other", journal=RedisJournal(redis_server.url, job="spring")
            )


async def test_a_redis_that_can_lose_writes_is_refused_naming_appendfsync(tmp_path: Path) -> None:
    server = RedisServer(tmp_path, durable=False)
    server.start()
    try:
        sb = Sandbox(seed=1)
        async with sb.client() as cs:
            with pytest.raises(VolatileRedisError, match="appendfsync"):
                await cs.sms.send_bulk(numbers(3), "hi", journal=RedisJournal(server.url))
            assert sb.ledger == []
            allowed = RedisJournal(server.url, allow_volatile=True)
            report = await cs.sms.send_bulk(numbers(3), "hi", journal=allowed)
        assert report.sent + report.queued == 3
    finally:
        server.stop()


async def test_a_second_run_of_a_running_job_is_refused_and_sends_nothing(
    redis_server: RedisServer,
) -> None:
    sb = Sandbox()
    sb.inject("sendSMS", latency=0.05)
    people = numbers(300)
    later = numbers(50, start=1_000)
    refused: list[JournalInUseError] = []
    async with sb.client() as cs:

        async def second_run() -> None:
            with anyio.fail_after(30):
                while len(sb.ledger) < 20:  # noqa: ASYNC110 - the first run is sending
                    await anyio.sleep(0.01)
            with pytest.raises(JournalInUseError) as caught:
                await cs.sms.send_bulk(
                    later, "hi", batch_size=10, journal=RedisJournal(redis_server.url, job="j")
                )
            refused.append(caught.value)
            assert len(sb.ledger) < len(people), "the first run ended too soon"

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(second_run)
            first = await cs.sms.send_bulk(
                people,
                "hi",
                batch_size=10,
                concurrency=2,
                journal=RedisJournal(redis_server.url, job="j"),
            )
        after = await cs.sms.send_bulk(
            [*people, *later], "hi", batch_size=10, journal=RedisJournal(redis_server.url, job="j")
        )
    assert "in use by another run" in str(refused[0])
    assert "frees the job 15 s" in str(refused[0])
    assert first.sent + first.queued == len(people)
    assert (after.skipped, after.sent + after.queued) == (len(people), len(later))
    assert Counter(entry.recipient for entry in sb.ledger) == Counter([*people, *later])


async def test_a_lease_left_by_a_dead_run_is_taken_once_it_expires(
    redis_server: RedisServer, redis_client: aioredis.Redis
) -> None:
    sb = Sandbox()
    await redis_client.set(JobKeys("j").lease, "local:dead", px=300)
    async with sb.client() as cs:
        with pytest.raises(JournalInUseError):
            await cs.sms.send_bulk(
                numbers(5), "hi", journal=RedisJournal(redis_server.url, job="j")
            )
        assert sb.ledger == []
        with anyio.fail_after(10):
            while await redis_client.exists(JobKeys("j").lease):  # noqa: ASYNC110 - Redis expires it
                await anyio.sleep(0.02)
        report = await cs.sms.send_bulk(
            numbers(5), "hi", journal=RedisJournal(redis_server.url, job="j")
        )
    assert report.sent + report.queued == 5
    assert await redis_client.exists(JobKeys("j").lease) == 0


async def test_a_run_renews_its_lease_past_its_length_and_stops_if_another_takes_it(
    redis_server: RedisServer, redis_client: aioredis.Redis
) -> None:
    sb = Sandbox()
    sb.inject("sendSMS", latency=0.1)
    lease = JobKeys("j").lease
    async with sb.client() as cs:

        async def meanwhile() -> None:
            with anyio.fail_after(30):
                while len(sb.ledger) < 120:  # noqa: ASYNC110 - 1.2 s in: two leases long
                    await anyio.sleep(0.01)
            journal = RedisJournal(redis_server.url, job="j", lease=0.6)
            with pytest.raises(JournalInUseError):
                await cs.sms.send_bulk(numbers(5, start=1_000), "hi", journal=journal)
            await redis_client.set(lease, "local:usurper")

        async def first_run() -> None:
            journal = RedisJournal(redis_server.url, job="j", lease=0.6)
            try:
                await cs.sms.send_bulk(
                    numbers(400), "hi", batch_size=10, concurrency=1, journal=journal
                )
            except JournalInUseError as exc:
                stopped.append(exc)

        stopped: list[JournalInUseError] = []
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(meanwhile)
            tasks.start_soon(first_run)
    assert "taken by another run" in str(stopped[0])
    assert 120 <= len(sb.ledger) < 400
    assert await redis_client.get(lease) == "local:usurper"


async def test_a_distributed_job_and_a_run_in_one_process_refuse_each_others_job(
    redis_server: RedisServer, redis_client: aioredis.Redis
) -> None:
    sb = Sandbox()
    async with sb.client() as cs:
        await submit_job(
            redis_server.url, Sms.channel("hi"), numbers(20), job_id="shared", batch_size=10
        )
        with pytest.raises(JournalInUseError, match="is a distributed job"):
            await cs.sms.send_bulk(
                numbers(20),
                "hi",
                batch_size=10,
                journal=RedisJournal(redis_server.url, job="shared"),
            )
        assert await redis_client.exists(JobKeys("shared").lease) == 0
        await redis_client.set(JobKeys("local").lease, "local:running", px=30_000)
        with pytest.raises(JournalInUseError, match="held by a run in one process"):
            await submit_job(
                redis_server.url, Sms.channel("hi"), numbers(20), job_id="local", batch_size=10
            )
        assert await redis_client.hexists(JobKeys("local").meta, "shard_batches") == 0
    assert sb.ledger == []
