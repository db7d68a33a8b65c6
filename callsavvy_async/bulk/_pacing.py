"""When a batch may leave: a job-wide pause after a 429 and a requests-per-second limit.
The engine asks a Pacer; this one is in memory, the distributed one lives in Redis."""

from __future__ import annotations

import logging
from typing import Protocol

import anyio

__all__ = ["LocalPacer", "Pacer"]

logger = logging.getLogger("callsavvy_async.bulk")


class Pacer(Protocol):
    async def wait_for_turn(self) -> None:
        """Return when the next request may leave."""

    async def pause(self, seconds: float) -> None:
        """Hold every request of the job for `seconds` (a 429's Retry-After)."""


class LocalPacer:
    """Pause and rate limit shared by the tasks of one job in one process."""

    def __init__(self, rate_per_second: float | None) -> None:
        self._interval = 1.0 / rate_per_second if rate_per_second else 0.0
        self._paused_until = 0.0
        self._next_slot = 0.0
        self._lock = anyio.Lock()

    async def wait_for_turn(self) -> None:
        while (delay := self._paused_until - anyio.current_time()) > 0:  # noqa: ASYNC110 - the pause can grow while we sleep
            await anyio.sleep(delay)
        if self._interval:
            async with self._lock:
                now = anyio.current_time()
                slot = max(now, self._next_slot)
                self._next_slot = slot + self._interval
            if slot > now:
                await anyio.sleep(slot - now)

    async def pause(self, seconds: float) -> None:
        logger.info("rate limited: pausing the whole job for %.1fs", seconds)
        self._paused_until = max(self._paused_until, anyio.current_time() + seconds)
