"""Bulk fan-out: one message to many recipients, each sent at most once.

Recipients are read lazily, normalised, de-duplicated through the journal's unique key
and cut into batches; at most `concurrency` batches are in flight, each written to a
journal file before its request leaves (a temporary journal, never resumed, writes later).
A batch whose answer may have been lost is counted `unknown` and never resent; only
failures that prove nothing was sent are retried.
"""

from __future__ import annotations

import logging
import math
import os
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import anyio
import attrs

from callsavvy_async import _retry
from callsavvy_async._errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    InvalidRequestError,
    OutcomeUnknownError,
    RateLimitError,
    UnexpectedResponseError,
)
from callsavvy_async._retry import RetryPolicy
from callsavvy_async.journal import Finished, JobStore, Problem, SQLiteJournal
from callsavvy_async.models import SendResult
from callsavvy_async.recipients import (
    InvalidNumberError,
    Source,
    iter_recipients,
    normalise_number,
    strict_normaliser,
)

__all__ = [
    "BatchResult",
    "BulkReport",
    "BulkStream",
    "Preview",
    "preview_bulk",
    "run_bulk",
    "stream_bulk",
]

logger = logging.getLogger("callsavvy_async.bulk")

SendBatch = Callable[[list[str]], Awaitable[SendResult]]
ProgressCallback = Callable[["BulkReport"], None]

ERROR_SAMPLE_SIZE = 20
ADMIT_CHUNK = 512
MAX_UNSENT_RETRIES = 8
KNOWN_STATUSES = ("sent", "queued", "failed")


@attrs.frozen
class _Retry:
    """Send the batch again after `delay` seconds: the attempt provably sent nothing."""

    delay: float = 0.0


@attrs.define
class BulkReport:
    """Recipients by outcome, batches attempted, cost and time; `problems()` lists every
    failed, unknown and invalid recipient with its reason."""

    sent: int = 0
    queued: int = 0
    failed: int = 0
    unknown: int = 0
    invalid: int = 0
    duplicate: int = 0
    skipped: int = 0
    batches: int = 0
    cost: Decimal = Decimal(0)
    elapsed: float = 0.0
    errors: list[str] = attrs.field(factory=list)
    _store: SQLiteJournal | None = attrs.field(default=None, repr=False, eq=False, alias="store")

    @property
    def total(self) -> int:
        """Every recipient read, whatever became of it."""
        return (
            self.sent
            + self.queued
            + self.failed
            + self.unknown
            + self.invalid
            + self.duplicate
            + self.skipped
        )

    def problems(self) -> Iterator[Problem]:
        """Every failed, unknown or invalid recipient of this run, read from the journal."""
        if self._store is None:
            return iter(())
        return self._store.problems()

    def note_error(self, message: str) -> None:
        if len(self.errors) < ERROR_SAMPLE_SIZE:
            self.errors.append(message)


@attrs.frozen
class BatchResult:
    """One batch's outcome: "sent", "queued", "failed" or "unknown"."""

    batch: int
    recipients: tuple[str, ...]
    outcome: str
    cost: Decimal | None = None
    reason: str | None = None
    result: SendResult | None = None


_CANCELLED = "cancelled before it was sent"


class _Job:
    """One bulk send: the producer, the workers and their shared pause gate."""

    def __init__(
        self,
        send_batch: SendBatch,
        store: JobStore,
        *,
        batch_size: int,
        concurrency: int,
        rate_per_second: float | None,
        strict_numbers: bool,
        on_progress: ProgressCallback | None,
        report: BulkReport,
    ) -> None:
        self._send_batch = send_batch
        self._store = store
        self._batch_size = batch_size
        self._concurrency = concurrency
        self._interval = 1.0 / rate_per_second if rate_per_second else 0.0
        self._normalise = strict_normaliser() if strict_numbers else normalise_number
        self._on_progress = on_progress
        self._backoff = RetryPolicy(max_retries=MAX_UNSENT_RETRIES)
        self.report = report
        self._paused_until = 0.0
        self._next_slot = 0.0
        self._rate_lock = anyio.Lock()
        self._aborted: AuthenticationError | None = None
        self._cancel_scope: anyio.CancelScope | None = None

    async def run(
        self, source: Source, emit: Callable[[BatchResult], Awaitable[None]] | None
    ) -> BulkReport:
        started = anyio.current_time()
        try:
            async with anyio.create_task_group() as tasks:
                self._cancel_scope = tasks.cancel_scope
                outbox, inbox = anyio.create_memory_object_stream[list[str]](0)
                tasks.start_soon(self._produce, source, outbox)
                async with inbox:
                    for _ in range(self._concurrency):
                        tasks.start_soon(self._work, inbox.clone(), emit)
        except BaseExceptionGroup as group:
            raise _single(group) from None
        finally:
            self.report.elapsed = anyio.current_time() - started
            with anyio.CancelScope(shield=True):
                await self._store.aclose()
        if self._aborted is not None:
            raise self._aborted
        self._progress()
        return self.report

    async def _produce(self, source: Source, outbox: Any) -> None:
        """Read, normalise and admit recipients; send full batches to the workers."""
        async with outbox:
            valid: list[str] = []
            invalid: list[tuple[str, str]] = []
            ready: list[str] = []
            async for raw in iter_recipients(source):
                try:
                    valid.append(self._normalise(raw))
                except InvalidNumberError as exc:
                    invalid.append((_storable(raw), exc.reason))
                if len(valid) + len(invalid) >= ADMIT_CHUNK:
                    ready = await self._admit(valid, invalid, ready, outbox)
                    valid, invalid = [], []
            ready = await self._admit(valid, invalid, ready, outbox)
            if ready:
                await outbox.send(ready)

    async def _admit(
        self, valid: list[str], invalid: list[tuple[str, str]], ready: list[str], outbox: Any
    ) -> list[str]:
        admission = await self._store.admit(valid, invalid)
        report = self.report
        report.invalid += len(invalid)
        report.duplicate += admission.duplicate
        report.skipped += admission.skipped
        report.unknown += admission.unknown
        for raw, reason in invalid[: ERROR_SAMPLE_SIZE - len(report.errors)]:
            report.note_error(f"invalid recipient {raw!r}: {reason}")
        ready = ready + admission.new
        while len(ready) >= self._batch_size:
            await outbox.send(ready[: self._batch_size])
            ready = ready[self._batch_size :]
        return ready

    async def _work(
        self, inbox: Any, emit: Callable[[BatchResult], Awaitable[None]] | None
    ) -> None:
        """Claim and send batches; a batch's outcome is written with the next claim (one
        journal write per batch), so each worker has at most one batch not written done."""
        previous: Finished | None = None
        try:
            async with inbox:
                async for numbers in inbox:
                    with anyio.CancelScope(shield=True):
                        batch = await self._store.claim(numbers, previous)
                    previous = None
                    self.report.batches += 1
                    result = await self._send(batch, numbers)
                    previous = Finished(batch, result.outcome, result.cost, result.reason)
                    self._record(result)
                    if emit is not None:
                        await emit(result)
        finally:
            if previous is not None:
                with anyio.CancelScope(shield=True):
                    await self._store.finish(previous)

    async def _send(self, batch: int, numbers: list[str]) -> BatchResult:
        """Send a claimed batch, retrying only attempts that provably sent nothing; waits
        happen outside the shield, so cancelling the job never waits on a backoff."""
        attempt = 0
        delay = 0.0
        while True:
            try:
                if delay:
                    await _retry.sleep(delay)
                await self._wait_for_turn()
            except anyio.get_cancelled_exc_class():
                with anyio.CancelScope(shield=True):
                    await self._store.finish(Finished(batch, "failed", None, _CANCELLED))
                self._record(BatchResult(batch, tuple(numbers), "failed", reason=_CANCELLED), False)
                raise
            with anyio.CancelScope(shield=True):
                outcome = await self._attempt(batch, numbers, attempt)
            if isinstance(outcome, BatchResult):
                return outcome
            delay = outcome.delay
            attempt += 1

    async def _attempt(self, batch: int, numbers: list[str], attempt: int) -> BatchResult | _Retry:
        def done(outcome: str, reason: str | None = None) -> BatchResult:
            return BatchResult(batch, tuple(numbers), outcome, reason=reason)

        try:
            result = await self._send_batch(numbers)
        except AuthenticationError as exc:
            self._abort(exc)
            return done("failed", str(exc))
        except RateLimitError as exc:
            if attempt >= MAX_UNSENT_RETRIES:
                return done("failed", str(exc))
            self._pause(self._backoff.delay(attempt, exc.retry_after))
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
        return BatchResult(batch, tuple(numbers), status, result.cost, reason, result)

    async def _wait_for_turn(self) -> None:
        """Wait out a job-wide pause (after a 429) and the request rate limit."""
        while (delay := self._paused_until - anyio.current_time()) > 0:  # noqa: ASYNC110 - the pause can grow while we sleep
            await anyio.sleep(delay)
        if self._interval:
            async with self._rate_lock:
                now = anyio.current_time()
                slot = max(now, self._next_slot)
                self._next_slot = slot + self._interval
            if slot > now:
                await anyio.sleep(slot - now)

    def _pause(self, seconds: float) -> None:
        logger.info("rate limited: pausing the whole job for %.1fs", seconds)
        self._paused_until = max(self._paused_until, anyio.current_time() + seconds)

    def _abort(self, error: AuthenticationError) -> None:
        if self._aborted is None:
            self._aborted = error
            assert self._cancel_scope is not None
            self._cancel_scope.cancel()

    def _record(self, result: BatchResult, progress: bool = True) -> None:
        report = self.report
        count = len(result.recipients)
        setattr(report, result.outcome, getattr(report, result.outcome) + count)
        if result.cost is not None:
            report.cost += result.cost
        if result.reason:
            report.note_error(f"batch {result.batch} {result.outcome}: {result.reason}")
        if progress:
            self._progress()

    def _progress(self) -> None:
        if self._on_progress is not None and self._aborted is None:
            self._on_progress(self.report)


def _storable(raw: object) -> str:
    """A rejected recipient as text SQLite can store, whatever it was (lone surrogates too)."""
    return str(raw).encode("utf-8", "backslashreplace").decode()


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _positive(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


def _single(group: BaseExceptionGroup[Any]) -> BaseException:
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


def _check(concurrency: int, batch_size: int, max_connections: int) -> None:
    if not _whole(concurrency) or concurrency < 1:
        raise InvalidRequestError("concurrency must be a whole number, at least 1")
    if not _whole(batch_size) or batch_size < 1:
        raise InvalidRequestError("batch_size must be a whole number, at least 1")
    if concurrency > max_connections:
        raise InvalidRequestError(
            f"concurrency {concurrency} exceeds the client's max_connections "
            f"{max_connections}: slow batches would starve the others into pool timeouts; "
            f"create the client with max_connections={concurrency} or more"
        )


def _job(
    send_batch: SendBatch,
    *,
    identity: str,
    journal: str | os.PathLike[str] | None,
    batch_size: int,
    concurrency: int,
    max_connections: int,
    rate_per_second: float | None,
    strict_numbers: bool,
    on_progress: ProgressCallback | None,
) -> tuple[_Job, SQLiteJournal]:
    _check(concurrency, batch_size, max_connections)
    if rate_per_second is not None and not _positive(rate_per_second):
        raise InvalidRequestError("rate_per_second must be a positive number")
    store = SQLiteJournal(journal)
    report = BulkReport(store=store)
    if store.temporary:
        weakref.finalize(report, store.remove)
    job = _Job(
        send_batch,
        store,
        batch_size=batch_size,
        concurrency=concurrency,
        rate_per_second=rate_per_second,
        strict_numbers=strict_numbers,
        on_progress=on_progress,
        report=report,
    )
    return job, store


async def run_bulk(
    send_batch: SendBatch,
    source: Source,
    *,
    identity: str,
    resend_unknown: bool = False,
    **options: Any,
) -> BulkReport:
    """Send to every recipient of `source` and return the report."""
    job, store = _job(send_batch, identity=identity, **options)
    await store.open(identity, resend_unknown=resend_unknown)
    return await job.run(source, None)


@attrs.define
class BulkStream:
    """Batch results as they complete (`async for`); `report` holds the running counts."""

    _results: Any = attrs.field(alias="results")
    report: BulkReport

    def __aiter__(self) -> AsyncIterator[BatchResult]:
        return self._results.__aiter__()  # type: ignore[no-any-return]


@asynccontextmanager
async def stream_bulk(
    send_batch: SendBatch,
    source: Source,
    *,
    identity: str,
    resend_unknown: bool = False,
    **options: Any,
) -> AsyncIterator[BulkStream]:
    """Run the job in the background and yield a stream of its batch results; leaving the
    block early stops new batches and lets the ones in flight settle."""
    job, store = _job(send_batch, identity=identity, **options)
    await store.open(identity, resend_unknown=resend_unknown)
    outbox, inbox = anyio.create_memory_object_stream[BatchResult](options["concurrency"])

    async def produce() -> None:
        async with outbox:
            await job.run(source, outbox.send)

    try:
        async with anyio.create_task_group() as tasks, inbox:
            tasks.start_soon(produce)
            yield BulkStream(results=inbox, report=job.report)
            tasks.cancel_scope.cancel()
    except BaseExceptionGroup as group:
        raise _single(group) from None


@attrs.frozen
class Preview:
    """What a bulk send would do, from reading its recipients without sending."""

    read: int
    valid: int
    invalid: int
    duplicate: int
    batches: int


async def preview_bulk(source: Source, *, batch_size: int, strict_numbers: bool = False) -> Preview:
    """Read, normalise and de-duplicate `source` (in a temporary store); send nothing."""
    normalise = strict_normaliser() if strict_numbers else normalise_number
    store = SQLiteJournal(None)
    await store.open("preview", resend_unknown=False)
    read = valid = invalid = duplicate = 0
    chunk: list[str] = []

    async def admit() -> None:
        nonlocal valid, duplicate
        admission = await store.admit(chunk)
        valid += len(admission.new)
        duplicate += admission.duplicate
        chunk.clear()

    try:
        async for raw in iter_recipients(source):
            read += 1
            try:
                chunk.append(normalise(raw))
            except InvalidNumberError:
                invalid += 1
            if len(chunk) >= ADMIT_CHUNK:
                await admit()
        await admit()
    finally:
        await store.aclose()
        store.remove()
    return Preview(read, valid, invalid, duplicate, -(-valid // batch_size))
