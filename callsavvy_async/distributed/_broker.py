"""The taskiq broker that carries shards to workers: taskiq-redis's stream broker, read
one message at a time so a worker holds no more shards than it has free slots."""

from __future__ import annotations

from collections.abc import Iterable

from taskiq.kicker import AsyncKicker
from taskiq_redis import RedisStreamBroker

__all__ = ["SHARD_TASK", "enqueue", "make_broker"]

SHARD_TASK = "callsavvy.run_shard"
QUEUE = "callsavvy:shards"


def make_broker(url: str, *, idle_timeout_ms: int = 30_000) -> RedisStreamBroker:
    """A stream broker on `url`; a shard a worker took but did not acknowledge within
    `idle_timeout_ms` is delivered again (harmless: a shard held or done is not run
    twice), though the workers' own sweep does not wait for that."""
    return RedisStreamBroker(
        url, queue_name=QUEUE, xread_count=1, xread_block=500, idle_timeout=idle_timeout_ms
    )


async def enqueue(broker: RedisStreamBroker, job: str, shards: Iterable[int]) -> None:
    """Put shards of `job` on the queue (a shard queued twice runs once)."""
    kicker: AsyncKicker[[str, int], None] = AsyncKicker(SHARD_TASK, broker, {})
    for shard in shards:
        await kicker.kiq(job, shard)
