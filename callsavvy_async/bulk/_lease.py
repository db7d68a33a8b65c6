"""A run's lease on a job in Redis: one key per job, taken with SET NX PX when a run opens
the job, renewed while it runs and deleted when it ends (only while still its own), so a
second run of the same job is refused and a run that died frees the job once its lease
expires."""

from __future__ import annotations

import logging

import anyio
import redis.asyncio as aioredis
import redis.exceptions

__all__ = ["LEASE_SECONDS", "KEEP", "Lease", "RELEASE"]

logger = logging.getLogger("callsavvy_async.bulk")

LEASE_SECONDS = 15.0
_AWAY = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)

# KEYS: lease; ARGV: token ttl_ms -> 1 if the lease is this run's (renewed, or taken again
# after it expired unheld), 0 if another run holds it.
KEEP = """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""

# KEYS: lease; ARGV: token -> 1 if this run's lease was deleted.
RELEASE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
"""


class LeaseLostError(Exception):
    """Another run took the job while this one could not renew its lease."""


class Lease:
    """The lease on `key` for the run named by `token`, `seconds` long."""

    def __init__(self, client: aioredis.Redis, key: str, token: str, seconds: float) -> None:
        self._client, self._key, self._token = client, key, token
        self.seconds = seconds
        self._ms = max(1, round(seconds * 1000))

    async def take(self) -> bool:
        """Take the lease if no run holds it; whether this run now does."""
        return bool(await self._client.set(self._key, self._token, nx=True, px=self._ms))

    async def keep(self) -> bool:
        """Renew the lease; False if another run holds it."""
        return bool(await self._client.eval(KEEP, 1, self._key, self._token, self._ms))

    async def release(self) -> None:
        """Delete the lease if it is still this run's (else it is left to expire)."""
        try:
            await self._client.eval(RELEASE, 1, self._key, self._token)
        except _AWAY as exc:
            logger.warning(
                "lease %s not released (%s); it expires in %g s", self._key, exc, self.seconds
            )

    async def hold(self) -> None:
        """Renew the lease three times per period until cancelled; raise LeaseLostError
        when another run has taken it. Redis being away is waited out: the lease lasts."""
        while True:
            await anyio.sleep(self.seconds / 3)
            try:
                kept = await self.keep()
            except _AWAY as exc:
                logger.warning("lease %s not renewed: %s", self._key, exc)
                continue
            if not kept:
                raise LeaseLostError(self._key)
