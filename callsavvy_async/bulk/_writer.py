"""One writer task per journal: claims, outcomes and reads go through a memory object
stream, and the task runs what is queued in one worker-thread call and one transaction,
since a thread hop costs more than the write itself. The task is the only user of the
journal's connection, so no lock guards it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import anyio
import anyio.to_thread
import attrs
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

__all__ = ["Writer"]

_W = TypeVar("_W")
_T = TypeVar("_T")

QUEUE_SIZE = 1024


class _Waiter:
    """A caller waiting for its entry to be committed (or its function to return)."""

    __slots__ = ("error", "event", "value")

    def __init__(self) -> None:
        self.event = anyio.Event()
        self.value: Any = None
        self.error: BaseException | None = None

    def settle(self, value: Any = None, error: BaseException | None = None) -> None:
        self.value, self.error = value, error
        self.event.set()


@attrs.define
class _Entry(Generic[_W]):
    write: _W | None
    call: Callable[[], Any] | None = None
    waiter: _Waiter | None = None


class Writer(Generic[_W]):
    """Runs `apply(writes)` (in a thread, one transaction) for whatever is queued, and a
    queued function after the writes before it. Writes nobody waits for that fail are kept
    and tried again with the next group; the error goes to whoever waits in that group.
    A `lazy` writer holds writes nobody waits for until someone waits (or QUEUE_SIZE are
    held), so a job that never resumes makes no thread hop for them alone."""

    def __init__(self, apply: Callable[[list[_W]], None], *, lazy: bool = False) -> None:
        self._apply = apply
        self._lazy = lazy
        self._send: MemoryObjectSendStream[_Entry[_W]]
        self._receive: MemoryObjectReceiveStream[_Entry[_W]]
        self._send, self._receive = anyio.create_memory_object_stream[_Entry[_W]](QUEUE_SIZE)
        self._unwritten: list[_W] = []
        self._stopped = anyio.Event()

    @property
    def queued(self) -> int:
        """Entries waiting for the task."""
        return self._send.statistics().current_buffer_used

    async def run(self) -> None:
        """Commit queued entries until `stop`; shielded, so a cancelled job still writes
        what it queued."""
        with anyio.CancelScope(shield=True):
            try:
                held: list[_Entry[_W]] = []
                async with self._receive:
                    async for entry in self._receive:
                        group, held = held + self._group(entry), []
                        if self._lazy and len(group) < QUEUE_SIZE and not _awaited(group):
                            held = group
                        else:
                            await self._commit(group)
                if held:
                    await self._commit(held)
            finally:
                self._stopped.set()

    def _group(self, first: _Entry[_W]) -> list[_Entry[_W]]:
        """`first` and what is queued behind it, up to and including the first function."""
        group = [first]
        while group[-1].call is None:
            try:
                group.append(self._receive.receive_nowait())
            except (anyio.WouldBlock, anyio.EndOfStream):
                break
        return group

    async def _commit(self, group: list[_Entry[_W]]) -> None:
        kept = self._unwritten
        writes = kept + [e.write for e in group if e.write is not None]
        self._unwritten = []
        try:
            value, failure = await anyio.to_thread.run_sync(self._run_group, writes, group[-1].call)
        except Exception as exc:
            self._unwritten = kept + [
                e.write for e in group if e.write is not None and e.waiter is None
            ]
            for entry in group:
                if entry.waiter is not None:
                    entry.waiter.settle(error=exc)
            return
        except BaseException as exc:
            interrupted = RuntimeError(f"the journal write was interrupted: {exc!r}")
            for entry in group:
                if entry.waiter is not None:
                    entry.waiter.settle(error=interrupted)
            raise
        for entry in group:
            if entry.waiter is not None:
                is_call = entry.call is not None
                entry.waiter.settle(value if is_call else None, failure if is_call else None)

    def _run_group(
        self, writes: list[_W], call: Callable[[], Any] | None
    ) -> tuple[Any, Exception | None]:
        """Apply the writes (raising their error), then run the function (returning its)."""
        if writes:
            self._apply(writes)
        if call is None:
            return None, None
        try:
            return call(), None
        except Exception as exc:
            return None, exc

    async def write(self, item: _W, *, durable: bool) -> None:
        """Queue `item`; with `durable`, return once it is committed (raising the write's
        error). A caller cancelled before the item is queued leaves nothing written."""
        waiter = _Waiter() if durable else None
        await self._send.send(_Entry(item, waiter=waiter))
        if waiter is not None:
            await self._wait(waiter)

    async def call(self, function: Callable[[], _T]) -> _T:
        """Run `function` in the writer's thread after everything queued before it."""
        waiter = _Waiter()
        await self._send.send(_Entry(None, function, waiter))
        value: _T = await self._wait(waiter)
        return value

    async def _wait(self, waiter: _Waiter) -> Any:
        await waiter.event.wait()
        if waiter.error is not None:
            raise waiter.error
        return waiter.value

    async def stop(self, last: Callable[[], None]) -> None:
        """Commit what is queued, run `last` (closing the connection) even if that fails,
        and end the task; raise the first error met."""
        try:
            await self.call(_nothing)
            if self._unwritten:
                await self.call(_nothing)
        finally:
            self._unwritten = []
            try:
                await self.call(last)
            finally:
                self._send.close()
                await self._stopped.wait()


def _awaited(group: list[_Entry[Any]]) -> bool:
    return any(entry.waiter is not None for entry in group)


def _nothing() -> None:
    """A function queued only for the writes before it."""
