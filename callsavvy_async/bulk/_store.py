"""The seam between the bulk engine and its journal: what a store must do, and the records
that cross it. SQLite (embedded, one machine) and Redis (shared by many workers) implement it.

A batch is recorded "in flight" before its request leaves and "done" with its outcome
after, so a job re-run on its store skips what is done and reports what was in flight at a
crash as unknown rather than resending it. The same unique key on recipients drops
duplicates without holding a job's numbers in memory.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from decimal import Decimal
from typing import Protocol

import attrs

from callsavvy_async._errors import InvalidRequestError

__all__ = [
    "Admission",
    "Finished",
    "JobStore",
    "JournalInUseError",
    "JournalMismatchError",
    "Problem",
    "job_identity",
]

OUTCOMES = ("sent", "queued", "failed", "unknown")


class JournalMismatchError(InvalidRequestError):
    """The journal belongs to another job (another channel, uid, message or job_id)."""


class JournalInUseError(InvalidRequestError):
    """Another run (in this process or another) has the journal open: running both would
    send their recipients twice."""


@attrs.frozen
class Admission:
    """What became of a chunk of valid numbers offered to the journal."""

    new: list[str]
    duplicate: int = 0
    skipped: int = 0
    unknown: int = 0


@attrs.frozen
class Finished:
    """A batch's outcome, to be written: sent, queued, failed or unknown."""

    batch: int
    outcome: str
    cost: Decimal | None = None
    reason: str | None = None


@attrs.frozen
class Problem:
    """A recipient that was not confirmed sent: failed, unknown or invalid, and why."""

    recipient: str
    outcome: str
    reason: str


class JobStore(Protocol):
    """What the bulk engine needs from a journal.

    `session()` opens the job's records (refusing another job's) and keeps whatever the
    store runs in the background (a writer task) going until the block ends; the other
    calls are made inside it. `claim` returns once the claim is durable, so the request
    may leave; `finish` may return before its outcome is written, which happens before
    the session ends."""

    def session(
        self, identity: str, *, resend_unknown: bool
    ) -> AbstractAsyncContextManager[None]: ...
    async def admit(
        self, numbers: Sequence[str], invalid: Sequence[tuple[str, str]] = ()
    ) -> Admission: ...
    async def claim(self, numbers: Sequence[str]) -> int: ...
    async def finish(self, finished: Finished) -> None: ...
    def problems(self) -> Iterator[Problem]: ...


def job_identity(channel: str, *parts: object) -> str:
    """A job's identity: its channel plus a hash of what it sends and from where. The parts
    are hashed as a JSON list, so None differs from "None" and no text can shift a boundary."""
    text = json.dumps([str(p) if p is not None else None for p in parts])
    digest = hashlib.sha256(text.encode()).hexdigest()
    return f"{channel}:{digest[:32]}"


def classify(
    numbers: Sequence[str], known: dict[str, tuple[int | None, int, str | None]], run: int
) -> tuple[Admission, list[str]]:
    """Sort a chunk by what the journal knows of each number (its batch, the run that last
    saw it and that batch's state); also return the numbers earlier runs saw, to mark seen."""
    new: list[str] = []
    returning: list[str] = []
    seen: set[str] = set()
    duplicate = skipped = unknown = 0
    for number in numbers:
        if number in seen:
            duplicate += 1
            continue
        seen.add(number)
        batch, seen_in, state = known.get(number, (None, None, None))
        if seen_in == run:
            duplicate += 1
            continue
        if seen_in is not None:
            returning.append(number)
        if batch is None:
            new.append(number)
        elif state == "unknown":
            unknown += 1
        else:
            skipped += 1
    return Admission(new, duplicate, skipped, unknown), returning
