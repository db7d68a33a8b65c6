"""Notification handlers run after their answer, in a task group that `active()` owns
(the app's lifespan or `async with app:`): at most `max_pending` at once, waited for at
shutdown up to `shutdown_timeout`, the rest cancelled and reported to `on_dropped`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from itertools import count
from typing import TypeVarTuple, Unpack

import anyio
import anyio.abc

from callsavvy_async.webhooks.events import Event, UnknownEvent

__all__ = ["Background"]

logger = logging.getLogger("callsavvy_async.webhooks")

_Args = TypeVarTuple("_Args")
AnyEvent = Event | UnknownEvent


class Background:
    """The task group of handlers that outlive their request, while `active()`."""

    def __init__(
        self,
        max_pending: int,
        shutdown_timeout: float,
        on_dropped: Callable[[AnyEvent], object] | None,
    ) -> None:
        self._max_pending = max_pending
        self._shutdown_timeout = shutdown_timeout
        self._on_dropped = on_dropped
        self._tasks: anyio.abc.TaskGroup | None = None
        self._pending: dict[int, AnyEvent] = {}
        self._keys = count()
        self._idle: anyio.Event | None = None

    @property
    def running(self) -> bool:
        return self._tasks is not None

    def start(
        self,
        event: AnyEvent,
        job: Callable[[Unpack[_Args]], Awaitable[object]],
        *args: *_Args,
    ) -> bool:
        """Start `job(*args)`, the handling of `event`, in the background; False, and
        nothing started, when not running or `max_pending` are already running."""
        if self._tasks is None or len(self._pending) >= self._max_pending:
            return False
        key = next(self._keys)
        self._pending[key] = event
        self._tasks.start_soon(self._run, key, job, args)
        return True

    @asynccontextmanager
    async def active(self) -> AsyncIterator[None]:
        """Take handlers in the background until exit; then wait up to shutdown_timeout
        for those still running, cancel the rest and report them to on_dropped."""
        if self._tasks is not None:
            raise RuntimeError("this WebhookApp is already running")
        try:
            async with anyio.create_task_group() as tasks:
                self._tasks = tasks
                try:
                    yield
                finally:
                    self._tasks = None
                    await self._wait_for_pending()
                    tasks.cancel_scope.cancel()
        finally:
            for event in self._pending.values():  # cancelled before they began
                self._dropped(event)
            self._pending.clear()

    async def _run(
        self, key: int, job: Callable[..., Awaitable[object]], args: tuple[object, ...]
    ) -> None:
        try:
            await job(*args)
        except anyio.get_cancelled_exc_class():
            self._dropped(self._pending[key])
            raise
        finally:
            del self._pending[key]
            if not self._pending and self._idle is not None:
                self._idle.set()

    async def _wait_for_pending(self) -> None:
        with anyio.move_on_after(self._shutdown_timeout, shield=True):
            while self._pending:
                self._idle = anyio.Event()
                await self._idle.wait()
        self._idle = None

    def _dropped(self, event: AnyEvent) -> None:
        logger.error("%s handler cancelled before it finished: dropped", event.event)
        if self._on_dropped is not None:
            try:
                self._on_dropped(event)
            except Exception:
                logger.exception("on_dropped failed for a %s event", event.event)
