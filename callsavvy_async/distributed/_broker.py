"""The taskiq broker that carries shards to workers: taskiq-redis's stream broker, read
one message at a time so a worker holds no more shards than it has free slots."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Iterable
from typing import Any

import anyio
from redis.asyncio import Redis
from redis.exceptions import RedisError
from taskiq import AckableMessage
from taskiq.exceptions import SendTaskError
from taskiq.kicker import AsyncKicker
from taskiq_redis import RedisStreamBroker

__all__ = ["SHARD_TASK", "ShardBroker", "enqueue", "make_broker"]

SHARD_TASK = "callsavvy.run_shard"
QUEUE = "callsavvy:shards"


class ShardBroker(RedisStreamBroker):
    """taskiq-redis's stream broker, except that messages other consumers read and left
    unacknowledged (a worker killed between reading a shard and taking it) are claimed
    once per half idle timeout, not after every read: its per-read pass takes a lock all
    workers share, which made each shard wait on the others. XAUTOCLAIM is atomic, so no
    lock is needed. Shards of a worker that dies while holding them are the sweep's."""

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:
        claimed_at = time.monotonic()
        async with Redis(connection_pool=self.connection_pool) as redis:
            while True:
                fetched: Any = await redis.xreadgroup(
                    self.consumer_group_name,
                    self.consumer_name,
                    {self.queue_name: ">"},
                    block=self.block,
                    count=self.count,
                )
                for _, messages in fetched or ():
                    for message_id, fields in messages:
                        yield self._message(message_id, fields)
                if time.monotonic() - claimed_at >= self.idle_timeout / 2000:
                    claimed_at = time.monotonic()
                    _, messages, *_ = await redis.xautoclaim(
                        self.queue_name,
                        self.consumer_group_name,
                        self.consumer_name,
                        min_idle_time=self.idle_timeout,
                        count=self.count or 1,
                    )
                    for message_id, fields in messages:
                        yield self._message(message_id, fields)

    def _message(self, message_id: Any, fields: Any) -> AckableMessage:
        return AckableMessage(
            data=fields[b"data"], ack=self._ack_generator(id=message_id, queue_name=self.queue_name)
        )


def make_broker(url: str, *, idle_timeout_ms: int = 30_000) -> ShardBroker:
    """A stream broker on `url`; a shard a worker read but did not acknowledge within
    `idle_timeout_ms` is delivered again (harmless: a shard held or done is not run
    twice)."""
    return ShardBroker(
        url, queue_name=QUEUE, xread_count=1, xread_block=500, idle_timeout=idle_timeout_ms
    )


async def enqueue(broker: RedisStreamBroker, job: str, shards: Iterable[int]) -> None:
    """Put shards of `job` on the queue (a shard queued twice runs once); a failure is
    raised as itself, not in an exception group, so callers can tell Redis being away."""
    kicker: AsyncKicker[[str, int], None] = AsyncKicker(SHARD_TASK, broker, {})
    try:
        async with anyio.create_task_group() as tasks:
            for shard in shards:
                tasks.start_soon(_kick, kicker, job, shard)
    except ExceptionGroup as group:  # the first failure, as itself: every kick may be repeated
        raise group.exceptions[0] from None


async def _kick(kicker: AsyncKicker[[str, int], None], job: str, shard: int) -> None:
    """Queue one shard; Redis being away is raised as redis-py's error (taskiq wraps it)."""
    try:
        await kicker.kiq(job, shard)
    except SendTaskError as exc:
        if isinstance(exc.__cause__, RedisError | OSError):
            raise exc.__cause__ from None
        raise
