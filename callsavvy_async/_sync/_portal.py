"""Running the async client's coroutines from sync code, on one event loop thread.

`Runner` owns an anyio blocking portal; `blocking(Account.summary)` turns an async method
into a sync one with the same signature for type checkers, run through the portal.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from typing import Any, Concatenate, Generic, ParamSpec, Self, TypeVar, cast, overload

import anyio.from_thread

from callsavvy_async._pipeline import RawResponse

__all__ = ["Runner", "SyncView", "blocking", "blocking_raw"]

_R = TypeVar("_R")
_P = ParamSpec("_P")
_T = TypeVar("_T")


class Runner:
    """An event loop in a thread of its own (anyio's blocking portal, on asyncio); any
    thread may hand it a coroutine function and block until it is done."""

    def __init__(self) -> None:
        self._manager: AbstractContextManager[anyio.from_thread.BlockingPortal] = (
            anyio.from_thread.start_blocking_portal("asyncio")
        )
        self._portal = self._manager.__enter__()

    def run(self, func: Callable[..., Awaitable[_T]], *args: Any, **kwargs: Any) -> _T:
        """`await func(*args, **kwargs)` on the loop. On Ctrl-C in the waiting thread the
        call is cancelled and waited for (a bulk send settles its in-flight batches), then
        KeyboardInterrupt is raised."""
        settled = threading.Event()

        async def call() -> _T:
            try:
                return await func(*args, **kwargs)
            finally:
                settled.set()

        future = self._portal.start_task_soon(call)
        try:
            return future.result()
        except KeyboardInterrupt:
            future.cancel()
            settled.wait()
            raise

    def close(self) -> None:
        self._manager.__exit__(None, None, None)


class SyncView(Generic[_R]):
    """An async resource seen through its `blocking` methods."""

    __slots__ = ("_resource", "_runner")

    def __init__(self, runner: Runner, resource: _R) -> None:
        self._runner = runner
        self._resource = resource


class _Blocking(Generic[_R, _P, _T]):
    __slots__ = ("_method",)

    def __init__(self, method: Callable[Concatenate[_R, _P], Awaitable[Any]]) -> None:
        self._method = method

    @overload
    def __get__(self, view: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, view: SyncView[_R], owner: type[Any]) -> Callable[_P, _T]: ...
    def __get__(self, view: SyncView[_R] | None, owner: type[Any]) -> Any:
        if view is None:
            return self
        method, resource, runner = self._method, view._resource, view._runner

        def call(*args: _P.args, **kwargs: _P.kwargs) -> _T:
            return cast(_T, runner.run(method, resource, *args, **kwargs))

        call.__doc__ = method.__doc__
        call.__name__ = method.__name__
        return call


def blocking(method: Callable[Concatenate[_R, _P], Awaitable[_T]]) -> _Blocking[_R, _P, _T]:
    """`method` as a sync view's method: same arguments, its result once done."""
    return _Blocking(method)


def blocking_raw(
    method: Callable[Concatenate[_R, _P], Awaitable[_T]],
) -> _Blocking[_R, _P, RawResponse[_T]]:
    """`method` of a raw-mode resource as a sync method returning its RawResponse."""
    return _Blocking(method)
