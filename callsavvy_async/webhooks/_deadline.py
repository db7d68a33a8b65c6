"""Time limits and cancellation for what a request waits for, at no cost until it waits.

A cancel scope entered for every request would cost about as much as the rest of the fast
path. On asyncio, `TimeLimit` begins an awaitable with `_eager.start` and only one left
`Waiting` gets `asyncio.timeout`, which needs no nesting, over the rest of it;
`Cancellable` awaits as it is and cancel() cancels the task the way `asyncio.timeout`
does, telling its own cancellation from others' by the task's cancel count. Under trio
both run the awaitable inside an anyio cancel scope from its first step.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable
from typing import TypeVar

import anyio

from callsavvy_async.webhooks._eager import Task, Waiting, start

__all__ = ["Cancellable", "CutOff", "TimeLimit"]

T = TypeVar("T")


class CutOff(Exception):
    """The time ran out, or cancel() was called, before the awaitable finished."""


class TimeLimit:
    """What a request waits for may keep it waiting `seconds` in all, from the first wait.

    `task` is the request's asyncio task (`asyncio_task()`), None under trio."""

    __slots__ = ("_seconds", "_task", "_when")

    def __init__(self, seconds: float, task: Task | None) -> None:
        self._seconds = seconds
        self._task = task
        self._when: float | None = None

    async def run(self, awaitable: Awaitable[T]) -> T:
        """The awaitable's result, or CutOff once the time is up."""
        result = start(awaitable, self._task)
        return await self.wait(result) if isinstance(result, Waiting) else result

    async def wait(self, waiting: Waiting[T]) -> T:
        """Finish what `start` left waiting, or CutOff once the time is up."""
        if self._when is None:
            self._when = anyio.current_time() + self._seconds
        if not waiting.started:
            return await _in_scope(waiting.rest, self._when, None)
        try:
            async with asyncio.timeout_at(_loop_time(self._when)) as timeout:
                return await waiting.rest
        except TimeoutError:
            if timeout.expired():
                raise CutOff from None
            raise


class Cancellable:
    """One awaitable, run in `task` (the request's asyncio task, None under trio), that
    another task may stop with cancel()."""

    __slots__ = ("_running", "_scope", "_task", "cancelled")

    def __init__(self, task: Task | None) -> None:
        self._task = task
        self._running = False
        self._scope: anyio.CancelScope | None = None
        self.cancelled = False

    async def run(self, awaitable: Awaitable[T]) -> T:
        """The awaitable's result, or CutOff if cancel() stops it (or came first)."""
        task = self._task
        if self.cancelled:
            _close(awaitable)
            raise CutOff
        if task is None:
            return await _in_scope(awaitable, math.inf, self)
        cancelling = task.cancelling()
        self._running = True
        try:
            return await awaitable
        except asyncio.CancelledError:
            if self.cancelled and task.uncancel() <= cancelling:
                raise CutOff from None
            raise
        finally:
            self._running = False

    def cancel(self) -> None:
        """Stop the awaitable now running, or refuse it if it has not started."""
        self.cancelled = True
        if self._running and self._task is not None:
            self._task.cancel()
        if self._scope is not None:
            self._scope.cancel()


def _loop_time(deadline: float) -> float | None:
    return None if deadline == math.inf else deadline


def _close(awaitable: Awaitable[object]) -> None:
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()


async def _in_scope(awaitable: Awaitable[T], deadline: float, owner: Cancellable | None) -> T:
    with anyio.CancelScope(deadline=deadline) as scope:
        if owner is not None:
            owner._scope = scope
        try:
            return await awaitable
        finally:
            if owner is not None:
                owner._scope = None
    raise CutOff
