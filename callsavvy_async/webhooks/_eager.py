"""Start an awaitable by hand, so that a timer or a cancel scope is set up only if it waits.

A webhook's body has almost always arrived with its headers, so `receive()` returns at
once, and most handlers finish without waiting. On asyncio `start` runs the awaitable up
to its first suspension; what is left is awaited as if `await` had run it from the start
(the delegation of PEP 380). Trio's cancel scopes must nest, and a scope entered after the
awaitable's first step would not, so there nothing is started early.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine, Generator
from types import CoroutineType
from typing import Any, Generic, TypeVar

__all__ = ["Task", "Waiting", "asyncio_task", "start"]

T = TypeVar("T")
Task = asyncio.Task[Any]
Steps = Generator[Any, Any, T] | Coroutine[Any, Any, T]


class Waiting(Generic[T]):
    """An awaitable that did not finish at once: suspended after its first step on asyncio,
    not started elsewhere. Awaiting `rest` finishes it."""

    __slots__ = ("rest", "started")

    def __init__(self, rest: Awaitable[T], *, started: bool) -> None:
        self.rest = rest
        self.started = started


class Suspended(Generic[T]):
    """The rest of an awaitable stopped at its first suspension."""

    __slots__ = ("_steps", "_yielded")

    def __init__(self, steps: Steps[T], yielded: Any) -> None:
        self._steps = steps
        self._yielded = yielded

    def __await__(self) -> Generator[Any, Any, T]:
        steps, yielded = self._steps, self._yielded
        while True:
            try:
                sent = yield yielded
            except GeneratorExit:
                steps.close()
                raise
            except BaseException as exc:
                try:
                    yielded = steps.throw(exc)
                except StopIteration as done:
                    return done.value  # type: ignore[no-any-return]
            else:
                try:
                    yielded = steps.send(sent)
                except StopIteration as done:
                    return done.value  # type: ignore[no-any-return]


def start(awaitable: Awaitable[T], task: Task | None) -> T | Waiting[T]:
    """The awaitable's result if it finishes without waiting, else what is left of it.

    `task` is the running asyncio task (`asyncio_task()`), None under trio, where nothing
    is started early."""
    if task is None:
        return Waiting(awaitable, started=False)
    steps = awaitable if type(awaitable) is CoroutineType else awaitable.__await__()
    try:
        yielded = steps.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    return Waiting(Suspended(steps, yielded), started=True)


def asyncio_task() -> Task | None:
    """The running asyncio task; None under trio (also as asyncio's guest)."""
    try:
        return asyncio.current_task()
    except RuntimeError:
        return None
