"""The sync client seen as an async one, so that one test runs on both clients: each call
runs in a worker thread (as a Django view or a Celery task would make it) and blocks there
while the client's own loop thread does the work."""

from __future__ import annotations

import functools
from typing import Any

import anyio.to_thread

from callsavvy_async._sync._client import SyncWithRawResponse
from callsavvy_async._sync._portal import SyncView


class Awaiting:
    def __init__(self, target: Any) -> None:
        self._target = target

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if isinstance(value, SyncView | SyncWithRawResponse):
            return Awaiting(value)
        if callable(value):

            async def call(*args: Any, **kwargs: Any) -> Any:
                return await anyio.to_thread.run_sync(functools.partial(value, *args, **kwargs))

            return call
        return value
