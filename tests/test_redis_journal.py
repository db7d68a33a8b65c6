"""RedisJournal as a bulk job's journal, on a real redis-server: the job sends each
recipient once, a re-run sends nothing already done, and a Redis that can lose
acknowledged writes is refused before anything is sent."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from callsavvy_async.bulk import JournalMismatchError, RedisJournal, VolatileRedisError
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
