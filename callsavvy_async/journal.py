"""The bulk journal's public names, kept here for code that imports them from this module;
they live in `callsavvy_async.bulk`."""

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

__all__ = [
    "Admission",
    "Finished",
    "JobStore",
    "JournalInUseError",
    "JournalMismatchError",
    "Problem",
    "SQLiteJournal",
    "job_identity",
]
