"""Submitting a distributed job, waiting for it and reading its report.

The submitter reads, normalises and dedupes the recipients once, freezes them as pending
batches in Redis, and enqueues shards (runs of consecutive batches) for the workers. It
sends nothing itself. A job's counts live in Redis, so any process can report on it."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import anyio
import attrs
import redis.asyncio as aioredis
from anyio.streams.memory import MemoryObjectReceiveStream
from taskiq_redis import RedisStreamBroker

from callsavvy_async._errors import InvalidRequestError, UnknownJobError
from callsavvy_async.bulk import _redis
from callsavvy_async.bulk._local import Producer
from callsavvy_async.bulk._options import job_options
from callsavvy_async.bulk._redis import COST_UNIT, JobKeys, check_durable
from callsavvy_async.bulk._report import BulkReport
from callsavvy_async.bulk._store import (
    Admission,
    JournalInUseError,
    JournalMismatchError,
    job_identity,
)
from callsavvy_async.distributed._broker import enqueue, make_broker
from callsavvy_async.distributed._shard import persist
from callsavvy_async.recipients import Source
from callsavvy_async.resources.messaging import BulkChannel

__all__ = ["JobReport", "UnknownJobError", "job_report", "submit_job", "wait_job"]

SHARD_BATCHES = 8
FREEZE_CHUNK = 4096
FREEZE_BATCHES = 64
JOBS = "callsavvy:jobs"
COUNTS = ("sent", "queued", "failed", "unknown", "invalid", "duplicate", "skipped")


@attrs.frozen
class JobReport:
    """A distributed job's counts, read from Redis: recipients by outcome, batches
    attempted, and `state` "running" until every batch has settled, then "done"."""

    job_id: str
    state: str
    sent: int = 0
    queued: int = 0
    failed: int = 0
    unknown: int = 0
    invalid: int = 0
    duplicate: int = 0
    skipped: int = 0
    batches: int = 0
    frozen: int = 0
    settled: int = 0
    cost: Decimal = Decimal(0)
    elapsed: float = 0.0
    errors: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return sum(getattr(self, name) for name in COUNTS)

    def as_json(self) -> dict[str, Any]:
        """The report as `callsavvy report --json` prints it."""
        fields = {name: getattr(self, name) for name in (*COUNTS, "batches", "state")}
        return {"job_id": self.job_id, **fields, "cost": str(self.cost)}


async def connect(url: str, *, allow_volatile: bool) -> aioredis.Redis:
    """A client on `url`, once the server is shown durable (or volatility allowed)."""
    client = aioredis.from_url(url, decode_responses=True)
    try:
        await check_durable(client, allow_volatile=allow_volatile)
    except BaseException:
        await client.aclose()
        raise
    return client


class _Freezer:
    """Admits recipients on the job's keys and stores their batches, a few at a time
    (concurrent calls share Redis's fsync); each shard is queued as soon as its batches
    are all frozen, so workers start while the rest is read."""

    def __init__(
        self, client: aioredis.Redis, keys: JobKeys, run: int, broker: RedisStreamBroker
    ) -> None:
        self._client, self._keys, self._run, self._broker = client, keys, run, broker
        self._frozen: Counter[int] = Counter()
        self.queued: set[int] = set()
        self._first_new = 1

    async def admit(self, numbers: Any, invalid: Any = ()) -> Admission:
        return await _redis.admit(self._client, self._keys, self._run, numbers, invalid, False)

    async def freeze(self, recipients: Source, batch_size: int, strict_numbers: bool) -> None:
        self._first_new = int(await self._client.hget(self._keys.meta, "next") or 0) + 1
        producer = Producer(
            self,  # type: ignore[arg-type]
            BulkReport(),
            batch_size=batch_size,
            strict_numbers=strict_numbers,
            chunk=FREEZE_CHUNK,
        )
        outbox, inbox = anyio.create_memory_object_stream[list[str]](4 * FREEZE_BATCHES)
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(self._store, inbox)
            await producer.run(recipients, outbox)

    async def _store(self, batches: MemoryObjectReceiveStream[list[str]]) -> None:
        """Freeze what the producer has cut so far in one call, then queue full shards."""
        async with batches:
            async for first in batches:
                group = [first]
                while len(group) < FREEZE_BATCHES:
                    try:
                        group.append(batches.receive_nowait())
                    except (anyio.WouldBlock, anyio.EndOfStream):
                        break
                ids = await _redis.freeze(self._client, self._keys, self._run, group)
                await _queue(self._client, self._keys, self._broker, self._full(ids))

    def _full(self, ids: list[int]) -> list[int]:
        """Shards whose new batches are now all frozen."""
        full = []
        for batch in ids:
            shard = (batch - 1) // SHARD_BATCHES
            self._frozen[shard] += 1
            earlier = max(0, self._first_new - (shard * SHARD_BATCHES + 1))
            if self._frozen[shard] == SHARD_BATCHES - earlier:
                full.append(shard)
        self.queued.update(full)
        return full


async def _queue(
    client: aioredis.Redis, keys: JobKeys, broker: RedisStreamBroker, shards: list[int]
) -> None:
    """Mark shards queued (for the sweep) and put them on the taskiq queue."""
    if shards:
        now = await _now(client)
        await client.hset(keys.shards, mapping={str(s): f"queued:{now}" for s in shards})
        await enqueue(broker, keys.job, shards)


async def submit_job(
    url: str,
    channel: BulkChannel,
    recipients: Source,
    *,
    job_id: str,
    batch_size: int,
    rate_per_second: float | None = None,
    resend_unknown: bool = False,
    strict_numbers: bool = False,
    allow_volatile: bool = False,
) -> JobReport:
    """Freeze `recipients` as job `job_id`'s batches and enqueue its shards; a job id
    submitted before resumes (nothing done is sent again; unknown batches only with
    `resend_unknown`)."""
    options = {"rate_per_second": rate_per_second, "job_id": job_id}
    job_options(options, batch_size=batch_size)
    if not job_id:
        raise InvalidRequestError("a distributed job needs a job id")
    client = await connect(url, allow_volatile=allow_volatile)
    broker = make_broker(url)
    await broker.startup()
    try:
        keys = JobKeys(job_id)
        run = await _open(client, keys, channel, batch_size, rate_per_second)
        reopened = await _redis.reopen(
            client, keys, "pending", ("failed", "unknown") if resend_unknown else ("failed",)
        )
        await client.sadd(JOBS, job_id)
        freezer = _Freezer(client, keys, run, broker)
        await freezer.freeze(recipients, batch_size, strict_numbers)
        shards = await _shards_to_run(client, keys, reopened, freezer.queued)
        await _queue(client, keys, broker, shards)
        await client.hset(keys.meta, "state", "running")
        return await read_report(client, job_id)
    finally:
        with anyio.CancelScope(shield=True):
            await broker.shutdown()
            await client.aclose()


async def _open(
    client: aioredis.Redis,
    keys: JobKeys,
    channel: BulkChannel,
    batch_size: int,
    rate_per_second: float | None,
) -> int:
    identity = job_identity(channel.name, *channel.key)
    await client.hsetnx(keys.meta, "identity", identity)
    if await client.hget(keys.meta, "identity") != identity:
        raise JournalMismatchError(
            f"job {keys.job!r} was submitted with another channel, uid or message: "
            "use another job id"
        )
    first = await client.hsetnx(keys.meta, "shard_batches", SHARD_BATCHES)
    if await client.exists(keys.lease):  # marked first, so a RedisJournal run opening now sees it
        if first:
            await client.hdel(keys.meta, "shard_batches")
        raise JournalInUseError(
            f"job {keys.job!r} is held by a run in one process (a RedisJournal): wait for it "
            "to finish or use another job id"
        )
    spec = {"name": channel.name, "resource": channel.resource, "fields": dict(channel.fields)}
    interval = 0 if not rate_per_second else max(1, round(1000 / rate_per_second))
    await client.hsetnx(keys.meta, "started", str(await _now(client)))
    await client.hset(
        keys.meta,
        mapping={
            "spec": json.dumps(spec),
            "batch_size": batch_size,
            "shard_batches": SHARD_BATCHES,
            "interval_ms": interval,
            "state": "freezing",
        },
    )
    await client.hset(keys.counts, mapping={"invalid": 0, "duplicate": 0, "skipped": 0})
    await client.delete(keys.invalid)
    return int(await client.hincrby(keys.meta, "run", 1))


async def _shards_to_run(
    client: aioredis.Redis, keys: JobKeys, reopened: list[int], queued: set[int]
) -> list[int]:
    """Shards not done nor queued yet, and those holding a reopened batch."""
    last = int(await client.hget(keys.meta, "next") or 0)
    again = {(batch - 1) // SHARD_BATCHES for batch in reopened}
    states = await client.hgetall(keys.shards)
    return [
        shard
        for shard in range(math.ceil(last / SHARD_BATCHES))
        if (states.get(str(shard)) != "done" and shard not in queued) or shard in again
    ]


async def _now(client: aioredis.Redis) -> int:
    seconds, micros = await client.time()
    return int(seconds) * 1000 + int(micros) // 1000


async def read_report(client: aioredis.Redis, job_id: str) -> JobReport:
    keys = JobKeys(job_id)
    meta = await client.hgetall(keys.meta)
    if not meta:
        raise UnknownJobError(f"no job {job_id!r} in this Redis")
    counts = {k: int(v) for k, v in (await client.hgetall(keys.counts)).items()}
    frozen, settled = counts.get("frozen", 0), counts.get("settled", 0)
    state = "done" if settled >= frozen and meta.get("state") != "freezing" else "running"
    reasons = (
        await client.hvals(keys.reason) if counts.get("failed") or counts.get("unknown") else []
    )
    elapsed = max(0.0, (await _now(client) - int(meta.get("started", 0))) / 1000)
    return JobReport(
        job_id,
        state,
        **{name: counts.get(name, 0) for name in (*COUNTS, "batches", "frozen", "settled")},
        cost=Decimal(counts.get("cost", 0)) / COST_UNIT,
        elapsed=elapsed,
        errors=tuple(str(reason) for reason in reasons[:5]),
    )


async def job_report(url: str, job_id: str) -> JobReport:
    """The report of job `job_id`, running or done."""
    client = aioredis.from_url(url, decode_responses=True)
    try:
        return await read_report(client, job_id)
    finally:
        await client.aclose()


async def wait_job(
    url: str,
    job_id: str,
    *,
    on_progress: Callable[[JobReport], None] | None = None,
    poll: float = 0.5,
) -> JobReport:
    """Wait until every batch of `job_id` has settled and return the report; leaving
    (cancelled, Ctrl-C) leaves the job running on the workers."""
    client = aioredis.from_url(url, decode_responses=True)
    try:
        while True:
            report = await persist(lambda: read_report(client, job_id))
            if on_progress is not None:
                on_progress(report)
            if report.state == "done":
                await client.srem(JOBS, job_id)
                await client.hset(JobKeys(job_id).meta, "state", "done")
                return report
            await anyio.sleep(poll)
    finally:
        with anyio.CancelScope(shield=True):
            await client.aclose()
