"""One shard on one worker: the bulk engine over frozen batches, claimed in Redis (only
the claim's holder sends), paced by the job-wide limiter in Redis. Redis being away for a
moment (a restart) is waited out; what cannot be recorded stays claimed and becomes
unknown once this worker's heartbeat expires, so nothing is sent twice."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio
import redis.asyncio as aioredis
import redis.exceptions

from callsavvy_async.bulk import _redis, _scripts
from callsavvy_async.bulk._engine import Claimed
from callsavvy_async.bulk._redis import JobKeys
from callsavvy_async.bulk._store import Finished

__all__ = ["FrozenClaims", "RedisPacer", "persist"]

logger = logging.getLogger("callsavvy_async.distributed")

_T = TypeVar("_T")
REDIS_OUTAGE = 60.0
_AWAY = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)


async def persist(step: Callable[[], Awaitable[_T]], *, patience: float = REDIS_OUTAGE) -> _T:
    """Run a Redis step, trying again while the server is unreachable (a restart), for
    up to `patience` seconds. Every step is safe to repeat: the scripts are idempotent
    for their caller (a claim already ours is returned again, an outcome is compare-and-set)."""
    delay = 0.05
    deadline = anyio.current_time() + patience
    while True:
        try:
            return await step()
        except _AWAY as exc:
            if anyio.current_time() >= deadline:
                raise
            logger.warning("Redis unreachable (%s); trying again", exc)
            await anyio.sleep(delay)
            delay = min(delay * 2, 1.0)


class FrozenClaims:
    """Claims on frozen batches of one job for one worker."""

    def __init__(self, client: aioredis.Redis, keys: JobKeys, owner: str) -> None:
        self._client, self._keys, self._owner = client, keys, owner
        self._sizes: dict[int, int] = {}

    async def claim(self, work: int) -> Claimed | None:
        numbers = await persist(lambda: self._claim(work))
        if numbers is None:
            return None
        self._sizes[work] = len(numbers)
        return Claimed(work, numbers)

    async def _claim(self, batch: int) -> list[str] | None:
        numbers = await _redis.claim(self._client, self._keys, batch, self._owner)
        if (
            numbers is None
            and await self._client.hget(self._keys.inflight, str(batch)) == self._owner
        ):
            numbers = str(await self._client.hget(self._keys.batch, str(batch))).split(",")
        return numbers

    async def finish(self, finished: Finished) -> None:
        size = self._sizes.pop(finished.batch, None)
        try:
            recorded = await persist(
                lambda: _redis.finish(self._client, self._keys, self._owner, finished, size)
            )
        except _AWAY:
            logger.exception("batch %d: outcome not recorded; it becomes unknown", finished.batch)
            return
        if not recorded:
            logger.warning("batch %d: claim lost (heartbeat expired); unknown", finished.batch)


class RedisPacer:
    """The job-wide rate limit and 429 pause, shared by every worker through Redis."""

    def __init__(self, client: aioredis.Redis, keys: JobKeys, interval_ms: int) -> None:
        self._client, self._keys, self._interval = client, keys, interval_ms

    async def wait_for_turn(self) -> None:
        keys = [self._keys.rate, self._keys.pause]
        while True:
            wait = int(
                await persist(lambda: self._client.eval(_scripts.PACE, 2, *keys, self._interval))
            )
            if wait < 0:  # the job is paused: no slot was taken, ask again after
                await anyio.sleep(-wait / 1000)
                continue
            if wait:
                await anyio.sleep(wait / 1000)
            return

    async def pause(self, seconds: float) -> None:
        logger.info("rate limited: pausing the job on every worker for %.1fs", seconds)
        ms = max(1, round(seconds * 1000))
        await persist(lambda: self._client.eval(_scripts.PAUSE, 1, self._keys.pause, ms))
