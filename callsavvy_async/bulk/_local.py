"""A bulk job in this process: read, normalise and admit recipients into the journal, cut
them into batches and hand them to the engine. The dry run is the same job with a sender
that sends nothing."""

from __future__ import annotations

import os
import weakref
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio
import attrs
from anyio.streams.memory import MemoryObjectSendStream

from callsavvy_async.bulk._engine import Claimed, Engine, SendBatch, single_error
from callsavvy_async.bulk._options import JobOptions
from callsavvy_async.bulk._pacing import LocalPacer
from callsavvy_async.bulk._report import ERROR_SAMPLE_SIZE, BatchResult, BulkReport, Preview
from callsavvy_async.bulk._sqlite import SQLiteJournal
from callsavvy_async.bulk._store import Finished, JobStore
from callsavvy_async.models import SendResult
from callsavvy_async.recipients import (
    InvalidNumberError,
    Source,
    iter_recipients,
    normalise_number,
    strict_normaliser,
)

__all__ = ["BulkStream", "preview_bulk", "run_bulk", "stream_bulk"]

ADMIT_CHUNK = 512


class _JournalClaims:
    """Claims of a local job: a batch is whatever numbers the producer cut, new to the
    journal, so every claim succeeds."""

    def __init__(self, store: JobStore) -> None:
        self._store = store

    async def claim(self, work: list[str]) -> Claimed:
        return Claimed(await self._store.claim(work), work)

    async def finish(self, finished: Finished) -> None:
        await self._store.finish(finished)


class Producer:
    """Reads recipients, admits them into the journal a chunk at a time and sends full
    batches on; counts what is invalid, duplicate, skipped or unknown."""

    def __init__(
        self, store: JobStore, report: BulkReport, *, batch_size: int, strict_numbers: bool
    ) -> None:
        self._store = store
        self._report = report
        self._batch_size = batch_size
        self._normalise = strict_normaliser() if strict_numbers else normalise_number

    async def run(self, source: Source, outbox: MemoryObjectSendStream[list[str]]) -> None:
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
        self,
        valid: Sequence[str],
        invalid: Sequence[tuple[str, str]],
        ready: list[str],
        outbox: MemoryObjectSendStream[list[str]],
    ) -> list[str]:
        admission = await self._store.admit(valid, invalid)
        report = self._report
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


def _storable(raw: object) -> str:
    """A rejected recipient as text any store can keep, whatever it was (lone surrogates)."""
    return str(raw).encode("utf-8", "backslashreplace").decode()


def _store_for(journal: str | os.PathLike[str] | JobStore | None) -> JobStore:
    if journal is None or isinstance(journal, str | os.PathLike):
        return SQLiteJournal(journal)
    return journal


def _report_for(store: JobStore) -> BulkReport:
    report = BulkReport(store=store)
    if isinstance(store, SQLiteJournal) and store.temporary:
        weakref.finalize(report, store.remove)
    return report


@attrs.frozen
class _Job:
    send_batch: SendBatch
    source: Source
    identity: str
    batch_size: int
    options: JobOptions

    def engine(self, store: JobStore) -> tuple[Engine[list[str]], Producer]:
        report = _report_for(store)
        engine = Engine(
            self.send_batch,
            _JournalClaims(store),
            LocalPacer(self.options.rate_per_second),
            concurrency=self.options.concurrency,
            report=report,
            on_progress=self.options.on_progress,
        )
        producer = Producer(
            store, report, batch_size=self.batch_size, strict_numbers=self.options.strict_numbers
        )
        return engine, producer


async def run_bulk(
    send_batch: SendBatch, source: Source, *, identity: str, batch_size: int, options: JobOptions
) -> BulkReport:
    """Send to every recipient of `source` and return the report."""
    job = _Job(send_batch, source, identity, batch_size, options)
    store = _store_for(options.journal)
    engine, producer = job.engine(store)
    async with store.session(identity, resend_unknown=options.resend_unknown):
        await engine.run(lambda outbox: producer.run(source, outbox))
    return engine.report


@attrs.define
class BulkStream:
    """Batch results as they complete (`async for`); `report` holds the running counts."""

    _results: Any = attrs.field(alias="results")
    report: BulkReport

    def __aiter__(self) -> AsyncIterator[BatchResult]:
        return self._results.__aiter__()  # type: ignore[no-any-return]


@asynccontextmanager
async def stream_bulk(
    send_batch: SendBatch, source: Source, *, identity: str, batch_size: int, options: JobOptions
) -> AsyncIterator[BulkStream]:
    """Run the job in the background and yield a stream of its batch results; leaving the
    block early stops new batches and lets the ones in flight settle."""
    job = _Job(send_batch, source, identity, batch_size, options)
    store = _store_for(options.journal)
    engine, producer = job.engine(store)
    outbox, inbox = anyio.create_memory_object_stream[BatchResult](options.concurrency)

    async def run() -> None:
        async with outbox, store.session(identity, resend_unknown=options.resend_unknown):
            await engine.run(lambda work: producer.run(source, work), outbox.send)

    try:
        async with anyio.create_task_group() as tasks, inbox:
            tasks.start_soon(run)
            yield BulkStream(results=inbox, report=engine.report)
            tasks.cancel_scope.cancel()
    except BaseExceptionGroup as group:
        raise single_error(group) from None


async def _send_nothing(numbers: list[str]) -> SendResult:
    return SendResult(status="queued")


async def preview_bulk(source: Source, *, batch_size: int, strict_numbers: bool = False) -> Preview:
    """Read, normalise and de-duplicate `source` as a send would (in a temporary journal,
    with a sender that sends nothing) and say what the send would do."""
    options = JobOptions(concurrency=1, strict_numbers=strict_numbers)
    report = await run_bulk(
        _send_nothing, source, identity="preview", batch_size=batch_size, options=options
    )
    valid = report.queued
    return Preview(report.total, valid, report.invalid, report.duplicate, report.batches)
