"""What a bulk job reports: counts by outcome, per-batch results and the dry run's preview."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Protocol

import attrs

from callsavvy_async.bulk._store import Problem
from callsavvy_async.models import SendResult

__all__ = ["BatchResult", "BulkReport", "Preview"]

ERROR_SAMPLE_SIZE = 20
COUNTS = ("sent", "queued", "failed", "unknown", "invalid", "duplicate", "skipped")


class _Problems(Protocol):
    def problems(self) -> Iterator[Problem]: ...


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
    _store: _Problems | None = attrs.field(default=None, repr=False, eq=False, alias="store")

    @property
    def total(self) -> int:
        """Every recipient read, whatever became of it."""
        return sum(getattr(self, name) for name in COUNTS)

    def problems(self) -> Iterator[Problem]:
        """Every failed, unknown or invalid recipient of this run, read from the journal."""
        if self._store is None:
            return iter(())
        return self._store.problems()

    def note_error(self, message: str) -> None:
        if len(self.errors) < ERROR_SAMPLE_SIZE:
            self.errors.append(message)

    def record(self, result: BatchResult) -> None:
        """Count one batch's recipients under its outcome."""
        setattr(self, result.outcome, getattr(self, result.outcome) + len(result.recipients))
        if result.cost is not None:
            self.cost += result.cost
        if result.reason:
            self.note_error(f"batch {result.batch} {result.outcome}: {result.reason}")


@attrs.frozen
class BatchResult:
    """One batch's outcome: "sent", "queued", "failed" or "unknown"."""

    batch: int
    recipients: tuple[str, ...]
    outcome: str
    cost: Decimal | None = None
    reason: str | None = None
    result: SendResult | None = None


@attrs.frozen
class Preview:
    """What a bulk send would do, from reading its recipients without sending."""

    read: int
    valid: int
    invalid: int
    duplicate: int
    batches: int
