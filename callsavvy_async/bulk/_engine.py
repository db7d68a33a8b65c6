"""The bulk engine: `concurrency` tasks take work from a producer, claim it, send it and
record its outcome. A batch whose answer may have been lost is counted `unknown` and never
resent; only failures that prove nothing was sent are retried.

One engine serves every case: a local job (work is a list of numbers, claimed in a
journal), a distributed shard (work is a frozen batch id, claimed in Redis) and a dry run
(a sender that sends nothing)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Generic, Protocol, TypeVar

import anyio
import attrs
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from callsavvy_async._errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    InvalidRequestError,
    OutcomeUnknownError,
    RateLimitError,
    UnexpectedResponseError,
)
from callsavvy_async._pipeline import _retry
from callsavvy_async._pipeline._retry import RetryPolicy
from callsavvy_async.bulk._pacing import Pacer
from callsavvy_async.bulk._report import BatchResult, BulkReport
from callsavvy_async.bulk._store import Finished
from callsavvy_async.models import SendResult

__all__ = ["Claimed", "Claims", "Engine", "SendBatch", "single_error"]

logger = logging.getLogger("callsavvy_async.bulk")

SendBatch = Callable[[list[str]], Awaitable[SendResult]]
Emit = Callable[[BatchResult], Awaitable[None]]
_W = TypeVar("_W")
_W_contra = TypeVar("_W_contra", contravariant=True)

MAX_UNSENT_RETRIES = 8
KNOWN_STATUSES = ("sent", "queued", "failed")
_CANCELLED = "cancelled before it was sent"


@attrs.frozen
class Claimed:
    """A batch this task holds the claim of: only the holder may send it."""

    batch: int
    numbers: list[str]


class Claims(Protocol[_W_contra]):
    async def claim(self, work: _W_contra) -> Claimed | None:
        """Claim the batch `work` stands for; None when someone else holds or settled it."""

    async def finish(self, finished: Finished) -> None:
        """Record the outcome of a claimed batch."""


@attrs.frozen
class _Retry:
    """Send the batch again after `delay` seconds: the attempt provably sent nothing."""

    delay: float = 0.0


class Engine(Generic[_W]):
    """One job's senders, their shared pacer and the report they fill in."""

    def __init__(
        self,
        send_batch: SendBatch,
        claims: Claims[_W],
        pacer: Pacer,
        *,
        concurrency: int,
        report: BulkReport,
        on_progress: Callable[[BulkReport], None] | None = None,
    ) -> None:
        self._send_batch = send_batch
        self._claims = claims
        self._pacer = pacer
        self._concurrency = concurrency
        self._on_progress = on_progress
        self._backoff = RetryPolicy(max_retries=MAX_UNSENT_RETRIES)
        self.report = report
        self._aborted: AuthenticationError | None = None
        self._cancel_scope: anyio.CancelScope | None = None

    async def run(
        self,
        produce: Callable[[MemoryObjectSendStream[_W]], Coroutine[Any, Any, None]],
        emit: Emit | None = None,
    ) -> BulkReport:
        """Run `produce` (which sends work and closes the stream) and the senders to the
        end; raise an AuthenticationError that aborted the job as itself."""
        started = anyio.current_time()
        try:
            async with anyio.create_task_group() as tasks:
                self._cancel_scope = tasks.cancel_scope
                outbox, inbox = anyio.create_memory_object_stream[_W](0)
                tasks.start_soon(produce, outbox)
                async with inbox:
                    for _ in range(self._concurrency):
                        tasks.start_soon(self._work, inbox.clone(), emit)
        except BaseExceptionGroup as group:
            raise single_error(group) from None
        finally:
            self.report.elapsed = anyio.current_time() - started
        if self._aborted is not None:
            raise self._aborted
        self._progress()
        return self.report

    async def _work(self, inbox: MemoryObjectReceiveStream[_W], emit: Emit | None) -> None:
        """Claim and send work until the producer is done; a claim is shielded, so a
        cancelled job never leaves a claim half made."""
        async with inbox:
            async for work in inbox:
                with anyio.CancelScope(shield=True):
                    claimed = await self._claims.claim(work)
                if claimed is None:
                    continue
                self.report.batches += 1
                result = await self._send(claimed)
                with anyio.CancelScope(shield=True):
                    await self._claims.finish(
                        Finished(claimed.batch, result.outcome, result.cost, result.reason)
                    )
                self._record(result)
                if emit is not None:
                    await emit(result)

    async def _send(self, claimed: Claimed) -> BatchResult:
        """Send a claimed batch, retrying only attempts that provably sent nothing; waits
        happen outside the shield, so cancelling the job never waits on a backoff."""
        attempt = 0
        delay = 0.0
        while True:
            try:
                if delay:
                    await _retry.sleep(delay)
                await self._pacer.wait_for_turn()
            except anyio.get_cancelled_exc_class():
                with anyio.CancelScope(shield=True):
                    await self._claims.finish(Finished(claimed.batch, "failed", None, _CANCELLED))
                failed = BatchResult(
                    claimed.batch, tuple(claimed.numbers), "failed", reason=_CANCELLED
                )
                self._record(failed, progress=False)
                raise
            with anyio.CancelScope(shield=True):
                outcome = await self._attempt(claimed, attempt)
            if isinstance(outcome, BatchResult):
                return outcome
            delay = outcome.delay
            attempt += 1

    async def _attempt(self, claimed: Claimed, attempt: int) -> BatchResult | _Retry:
        batch, numbers = claimed.batch, tuple(claimed.numbers)

        def done(outcome: str, reason: str | None = None) -> BatchResult:
            return BatchResult(batch, numbers, outcome, reason=reason)

        try:
            result = await self._send_batch(claimed.numbers)
        except AuthenticationError as exc:
            self._abort(exc)
            return done("failed", str(exc))
        except RateLimitError as exc:
            if attempt >= MAX_UNSENT_RETRIES:
                return done("failed", str(exc))
            await self._pacer.pause(self._backoff.delay(attempt, exc.retry_after))
            return _Retry()
        except OutcomeUnknownError as exc:
            return done("unknown", str(exc))
        except APIConnectionError as exc:
            if attempt >= MAX_UNSENT_RETRIES:
                return done("failed", str(exc))
            return _Retry(self._backoff.delay(attempt))
        except UnexpectedResponseError as exc:
            return done("unknown", str(exc))
        except (APIError, InvalidRequestError) as exc:
            return done("failed", str(exc))
        except Exception as exc:
            logger.exception("batch %d: unexpected error; counted unknown", batch)
            return done("unknown", f"{type(exc).__name__}: {exc}")
        status = result.status if result.status in KNOWN_STATUSES else "queued"
        reason = "the API answered status failed" if status == "failed" else None
        return BatchResult(batch, numbers, status, result.cost, reason, result)

    def _abort(self, error: AuthenticationError) -> None:
        if self._aborted is None:
            self._aborted = error
            assert self._cancel_scope is not None
            self._cancel_scope.cancel()

    def _record(self, result: BatchResult, progress: bool = True) -> None:
        self.report.record(result)
        if progress:
            self._progress()

    def _progress(self) -> None:
        if self._on_progress is not None and self._aborted is None:
            self._on_progress(self.report)


def single_error(group: BaseExceptionGroup[Any]) -> BaseException:
    """The one real error inside a task group's exception group (not a wrapper)."""
    leaves: list[BaseException] = []

    def collect(error: BaseException) -> None:
        if isinstance(error, BaseExceptionGroup):
            for inner in error.exceptions:
                collect(inner)
        else:
            leaves.append(error)

    collect(group)
    return leaves[0] if len(leaves) == 1 else group
