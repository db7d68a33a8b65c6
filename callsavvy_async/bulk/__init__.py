"""Bulk fan-out: one message to many recipients, each sent at most once.

One engine (`_engine`) behind a store seam (`JobStore`): SQLite is the embedded default,
`RedisJournal` (extra `distributed`) shares a job between processes and machines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from callsavvy_async.bulk._engine import SendBatch
from callsavvy_async.bulk._local import BulkStream, preview_bulk, run_bulk, stream_bulk
from callsavvy_async.bulk._options import BulkOptions, ProgressCallback
from callsavvy_async.bulk._report import BatchResult, BulkReport, Preview
from callsavvy_async.bulk._sqlite import SQLiteJournal
from callsavvy_async.bulk._store import (
    Admission,
    Finished,
    JobStore,
    JournalInUseError,
    JournalMismatchError,
    Problem,
    job_identity,
)

if TYPE_CHECKING:
    from callsavvy_async.bulk._redis import RedisJournal, VolatileRedisError

__all__ = [
    "Admission",
    "BatchResult",
    "BulkOptions",
    "BulkReport",
    "BulkStream",
    "Finished",
    "JobStore",
    "JournalInUseError",
    "JournalMismatchError",
    "Preview",
    "Problem",
    "ProgressCallback",
    "RedisJournal",
    "SQLiteJournal",
    "SendBatch",
    "VolatileRedisError",
    "job_identity",
    "preview_bulk",
    "run_bulk",
    "stream_bulk",
]


def __getattr__(name: str) -> Any:
    """The Redis names need the `distributed` extra: imported only when asked for."""
    if name in ("RedisJournal", "VolatileRedisError"):
        from callsavvy_async.bulk import _redis

        return getattr(_redis, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
