"""The Redis journal's Lua scripts on fakeredis (fast unit tests): a frozen batch is
claimed once, only the holder records its outcome, a dead owner's batches become unknown
and are never pending again, and the pacer spaces and pauses requests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import fakeredis
import pytest

from callsavvy_async.bulk import Finished, _redis
from callsavvy_async.bulk._lease import Lease
from callsavvy_async.bulk._redis import JobKeys

pytestmark = pytest.mark.anyio

KEYS = JobKeys("job-1")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client() -> AsyncIterator[fakeredis.FakeAsyncRedis]:
    client = fakeredis.FakeAsyncRedis(decode_responses=True)
    yield client
    await client.aclose()


def numbers(count: int, start: int = 0) -> list[str]:
    return [f"+4479{n:08d}" for n in range(start, start + count)]


async def test_keys_carry_the_job_hash_tag() -> None:
    assert KEYS.state == "callsavvy:{job-1}:state"
    assert KEYS.counts.startswith("callsavvy:{job-1}:")


async def test_a_frozen_batch_is_claimed_by_one_owner_only(
    client: fakeredis.FakeAsyncRedis,
) -> None:
    batch = await _redis.create(client, KEYS, 1, numbers(3), None)
    assert await client.hget(KEYS.state, str(batch)) == "pending"
    assert await _redis.claim(client, KEYS, batch, "w1") == numbers(3)
    assert await _redis.claim(client, KEYS, batch, "w2") is None
    assert await client.hget(KEYS.inflight, str(batch)) == "w1"
    assert await client.hget(KEYS.counts, "batches") == "1"


async def test_only_the_claim_holder_records_an_outcome(client: fakeredis.FakeAsyncRedis) -> None:
    batch = await _redis.create(client, KEYS, 1, numbers(2), None)
    await _redis.claim(client, KEYS, batch, "w1")
    sent = Finished(batch, "sent", Decimal("0.25"))
    assert not await _redis.finish(client, KEYS, "w2", sent, size=2)
    assert await _redis.finish(client, KEYS, "w1", sent, size=2)
    assert not await _redis.finish(client, KEYS, "w1", Finished(batch, "failed"), size=2)
    counts = await client.hgetall(KEYS.counts)
    assert (counts["sent"], counts["cost"], counts["settled"]) == ("2", "250000", "1")
    assert await client.hget(KEYS.state, str(batch)) == "sent"


async def test_a_dead_owners_batches_become_unknown_and_its_late_outcome_is_refused(
    client: fakeredis.FakeAsyncRedis,
) -> None:
    mine = await _redis.create(client, KEYS, 1, numbers(2), None)
    theirs = await _redis.create(client, KEYS, 1, numbers(3, 10), None)
    await _redis.claim(client, KEYS, mine, "dead")
    await _redis.claim(client, KEYS, theirs, "alive")
    assert await _redis.orphan(client, KEYS, "worker died", "dead") == 1
    assert await client.hget(KEYS.state, str(mine)) == "unknown"
    assert await client.hget(KEYS.state, str(theirs)) == "inflight"
    assert await _redis.claim(client, KEYS, mine, "alive") is None
    assert not await _redis.finish(client, KEYS, "dead", Finished(mine, "sent"), size=2)
    assert (await client.hgetall(KEYS.counts))["unknown"] == "2"


async def test_admission_sorts_new_duplicate_done_and_unknown(
    client: fakeredis.FakeAsyncRedis,
) -> None:
    first = await _redis.admit(client, KEYS, 1, numbers(4), [], False)
    assert first.new == numbers(4)
    done = await _redis.create(client, KEYS, 1, numbers(2), "w")
    lost = await _redis.create(client, KEYS, 1, numbers(2, 2), "w")
    await _redis.finish(client, KEYS, "w", Finished(done, "sent"), size=2)
    await _redis.finish(client, KEYS, "w", Finished(lost, "unknown"), size=2)
    again = await _redis.admit(client, KEYS, 1, numbers(1), [], False)
    assert again.duplicate == 1
    rerun = await _redis.admit(client, KEYS, 2, [*numbers(5), "+447900000000"], [], False)
    assert (rerun.new, rerun.skipped, rerun.unknown, rerun.duplicate) == (numbers(1, 4), 2, 2, 1)
    resend = await _redis.admit(client, KEYS, 3, numbers(4), [], True)
    assert (resend.new, resend.skipped) == (numbers(2, 2), 2)


async def test_reopening_puts_failed_batches_back_to_pending(
    client: fakeredis.FakeAsyncRedis,
) -> None:
    batch = await _redis.create(client, KEYS, 1, numbers(3), None)
    await _redis.claim(client, KEYS, batch, "w")
    await _redis.finish(client, KEYS, "w", Finished(batch, "failed", reason="no"), size=3)
    assert await _redis.reopen(client, KEYS, "pending", ["failed"]) == [batch]
    assert await _redis.claim(client, KEYS, batch, "w2") == numbers(3)
    assert (await client.hgetall(KEYS.counts))["failed"] == "0"


async def test_the_pacer_spaces_requests_and_a_pause_holds_them(
    client: fakeredis.FakeAsyncRedis,
) -> None:
    from callsavvy_async.bulk import _scripts

    keys = [KEYS.rate, KEYS.pause]
    waits = [await client.eval(_scripts.PACE, 2, *keys, 100) for _ in range(3)]
    assert waits[0] == 0
    assert 150 <= waits[2] <= 200
    await client.eval(_scripts.PAUSE, 1, KEYS.pause, 5_000)
    paused = await client.eval(_scripts.PACE, 2, *keys, 100)
    assert -5_000 <= paused < -4_000


async def test_a_workers_step_records_the_last_outcome_claims_the_next_and_reports_a_pause(
    client: fakeredis.FakeAsyncRedis,
) -> None:
    from callsavvy_async.bulk import _scripts
    from callsavvy_async.distributed import _scripts as steps

    first = await _redis.create(client, KEYS, 1, numbers(2), None)
    second = await _redis.create(client, KEYS, 1, numbers(3, 2), None)
    names = [KEYS.batch, KEYS.state, KEYS.inflight, KEYS.counts, KEYS.reason, KEYS.pause]
    got, paused = await _redis.run_script(client, steps.STEP, names, ["w", first])
    assert (got, paused) == (",".join(numbers(2)), 0)
    await client.eval(_scripts.PAUSE, 1, KEYS.pause, 5_000)
    outcome = [first, "unknown", 2, 0, "no answer"]
    got, paused = await _redis.run_script(client, steps.STEP, names, ["w", second, *outcome])
    assert got == ",".join(numbers(3, 2))
    assert 4_000 < paused <= 5_000
    assert await client.hget(KEYS.state, str(first)) == "unknown"
    assert await client.hget(KEYS.reason, str(first)) == "no answer"
    again, _ = await _redis.run_script(client, steps.STEP, names, ["w", second, *outcome])
    assert again == got  # a retry after a lost reply: the claim is still ours
    assert (await client.hgetall(KEYS.counts))["unknown"] == "2"


async def test_a_lease_is_taken_once_renewed_by_its_holder_and_released_only_by_it(
    client: fakeredis.FakeAsyncRedis,
) -> None:
    first = Lease(client, KEYS.lease, "run-1", 10)
    second = Lease(client, KEYS.lease, "run-2", 10)
    assert await first.take()
    assert not await second.take()
    assert not await second.keep()
    await second.release()
    assert await client.get(KEYS.lease) == "run-1"
    await client.pexpire(KEYS.lease, 50)
    assert await first.keep()
    assert 9_000 < await client.pttl(KEYS.lease) <= 10_000
    await first.release()
    assert await client.get(KEYS.lease) is None
    assert await first.keep()  # expired and unheld: taken again by its last holder
    assert not await second.keep()


async def test_a_sweep_requeues_the_taken_shards_of_dead_workers_and_forgets_settled_ones(
    client: fakeredis.FakeAsyncRedis,
) -> None:
    from callsavvy_async.distributed import _scripts as steps

    await client.hset(KEYS.shards, mapping={str(s): "queued:0" for s in range(1_000)})
    take = [KEYS.shards, KEYS.hb, KEYS.taken]
    for shard, worker in ((1, "dead"), (2, "dead"), (3, "alive"), (4, "alive"), (5, "alive")):
        assert await client.eval(steps.SHARD_TAKE, 3, *take, shard, worker, 60_000) == "ok"
    assert await client.eval(steps.SHARD_TAKE, 3, *take, 1, "alive", 60_000) == "held"
    assert await client.eval(steps.SHARD_DONE, 2, KEYS.shards, KEYS.taken, 4, "alive") == 1
    assert await client.eval(steps.SHARD_RELEASE, 2, KEYS.shards, KEYS.taken, 5, "alive") == 1
    assert await client.smembers(KEYS.taken) == {"1", "2", "3"}
    await client.hset(KEYS.hb, "dead", 0)  # its heartbeat expired
    await client.hset(KEYS.shards, "2", "queued:1")  # queued again meanwhile (a re-submission)
    sweep = [KEYS.hb, KEYS.shards, KEYS.state, KEYS.inflight, KEYS.counts, KEYS.reason]
    sweep += [KEYS.batch, KEYS.taken]
    assert await client.eval(steps.SWEEP, len(sweep), *sweep, "died") == ["1"]
    assert str(await client.hget(KEYS.shards, "1")).startswith("queued:")
    assert await client.hget(KEYS.shards, "3") == "alive"
    assert await client.smembers(KEYS.taken) == {"3"}
    assert await client.eval(steps.SWEEP, len(sweep), *sweep, "died") == []
    assert await client.eval(steps.SHARD_TAKE, 3, *take, 1, "alive", 60_000) == "ok"
