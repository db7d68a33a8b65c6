"""SQLiteJournal: the embedded JobStore, one SQLite file in WAL mode.

Every statement runs in the journal's writer task (a worker thread, so the event loop
never blocks). A file journal's claim returns once committed; a temporary journal (no
path: it dedupes one run and is never resumed) queues its claims and outcomes without
waiting, and they are committed with the next admission or when the queue fills.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import shutil
import sqlite3
import tempfile
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from typing import NamedTuple

import anyio
import anyio.to_thread
import filelock

from callsavvy_async._errors import InvalidRequestError
from callsavvy_async.bulk._store import (
    Admission,
    Finished,
    JournalInUseError,
    JournalMismatchError,
    Problem,
    classify,
)
from callsavvy_async.bulk._writer import Writer

__all__ = ["SQLiteJournal"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS recipient (
    number TEXT PRIMARY KEY, batch INTEGER, run INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS batch (
    id INTEGER PRIMARY KEY, state TEXT NOT NULL, outcome TEXT, cost TEXT, reason TEXT,
    numbers TEXT NOT NULL, linked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS invalid (raw TEXT NOT NULL, reason TEXT NOT NULL);
"""
_KNOWN = (
    "SELECT r.number, r.batch, r.run, b.state FROM recipient r "
    "LEFT JOIN batch b ON b.id = r.batch WHERE r.number IN (SELECT value FROM json_each(?))"
)
_INSERT_NEW = "INSERT INTO recipient SELECT value, NULL, ? FROM json_each(?)"
_MARK_SEEN = "UPDATE recipient SET run = ? WHERE number IN (SELECT value FROM json_each(?))"
_FINISH = "UPDATE batch SET state = ?, outcome = ?, cost = ?, reason = ? WHERE id = ?"
_CLAIM = "INSERT INTO batch (id, state, numbers) VALUES (?, 'inflight', ?)"
LINK_PAGE = 256


class _Write(NamedTuple):
    """A batch to claim (its id and comma-joined numbers) or an outcome to record."""

    batch: int
    numbers: str | None
    finished: Finished | None


class SQLiteJournal:
    """A JobStore in one SQLite file; a temporary one (deleted by `remove`) when `path` is
    None. One run at a time may hold a file journal (a lock file beside it)."""

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self._tempdir = None if path is not None else tempfile.mkdtemp(prefix="callsavvy-")
        self.path = (
            os.fspath(path) if path is not None else os.path.join(self._tempdir or "", "job.sqlite")
        )
        self.temporary = path is None
        self._lock = filelock.FileLock(self.path + ".lock", timeout=0, thread_local=False)
        self._db: sqlite3.Connection | None = None
        self._run = 0
        self._last_batch = 0
        self._writer: Writer[_Write] | None = None

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("the journal is not open")
        return self._db

    @property
    def _queue(self) -> Writer[_Write]:
        if self._writer is None:
            raise RuntimeError("the journal is not open: use it inside session()")
        return self._writer

    @asynccontextmanager
    async def session(self, identity: str, *, resend_unknown: bool) -> AsyncIterator[None]:
        """Create or resume the journal of job `identity` (refusing another job's) and run
        its writer task; on leaving, commit what is queued and close the file."""
        await anyio.to_thread.run_sync(self._open, identity, resend_unknown)
        writer = self._writer = Writer(lambda writes: self._write(writes), lazy=self.temporary)
        try:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(writer.run)
                try:
                    yield
                finally:
                    with anyio.CancelScope(shield=True):
                        await writer.stop(self._close)
        except BaseExceptionGroup as group:
            if len(group.exceptions) == 1:
                raise group.exceptions[0] from None
            raise
        finally:
            self._writer = None
            if self._db is not None:  # the writer could not close it
                self._close()
            self._lock.release()

    def _open(self, identity: str, resend_unknown: bool) -> None:
        try:
            self._lock.acquire()
        except filelock.Timeout:
            raise JournalInUseError(self._held_message(identity)) from None
        except OSError as exc:
            raise InvalidRequestError(f"cannot open journal {self.path}: {exc.strerror}") from None
        try:
            self._open_locked(identity, resend_unknown)
        except sqlite3.Error as exc:
            self._abandon()
            raise InvalidRequestError(f"cannot use {self.path} as a journal: {exc}") from None
        except BaseException:
            self._abandon()
            raise

    def _held_message(self, identity: str) -> str:
        """Why the journal cannot be opened while another run holds it, naming whether
        that run is this job or another one (read from the file, without writing)."""
        try:
            uri = f"{pathlib.Path(self.path).resolve().as_uri()}?mode=ro"
            with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
                row = db.execute("SELECT value FROM meta WHERE key = 'identity'").fetchone()
        except sqlite3.Error:
            row = None
        if row is not None and row[0] != identity:
            return (
                f"journal {self.path} is in use by a running job with a different channel, "
                "uid, message or job_id; give this job its own journal file"
            )
        return (
            f"journal {self.path} is in use by another run of this job; wait for it to "
            "finish (running both would send their recipients twice)"
        )

    def _abandon(self) -> None:
        """Close what a failed open left open, and let go of the lock."""
        if self._db is not None:
            self._close()
        self._lock.release()

    def _open_locked(self, identity: str, resend_unknown: bool) -> None:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db = db
        db.execute("PRAGMA journal_mode=WAL")
        # A temporary journal dies with its job and is never resumed: nothing to make durable.
        db.execute(f"PRAGMA synchronous={'OFF' if self.temporary else 'NORMAL'}")
        db.executescript(_SCHEMA)
        row = db.execute("SELECT value FROM meta WHERE key = 'identity'").fetchone()
        if row is not None and row[0] != identity:
            raise JournalMismatchError(
                f"journal {self.path} belongs to another job: use a new journal file "
                "or the same channel, uid, message and job_id"
            )
        with _Transaction(db):
            db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('identity', ?), ('run', '0')", (identity,)
            )
            self._run = (
                int(db.execute("SELECT value FROM meta WHERE key = 'run'").fetchone()[0]) + 1
            )
            db.execute("UPDATE meta SET value = ? WHERE key = 'run'", (str(self._run),))
            db.execute(
                "UPDATE batch SET state = 'unknown', outcome = 'unknown', "
                "reason = 'in flight when the job stopped' WHERE state = 'inflight'"
            )
            self._link_recipients()
            retry = ("failed", "unknown") if resend_unknown else ("failed",)
            marks = ",".join("?" * len(retry))
            db.execute(
                f"UPDATE recipient SET batch = NULL WHERE batch IN "
                f"(SELECT id FROM batch WHERE state IN ({marks}))",
                retry,
            )
            db.execute(f"DELETE FROM batch WHERE state IN ({marks})", retry)
            db.execute("DELETE FROM invalid")
            self._last_batch = db.execute("SELECT COALESCE(MAX(id), 0) FROM batch").fetchone()[0]

    def _link_recipients(self) -> None:
        """Point the recipients of earlier runs' batches at them (claims store only the
        batch's numbers, to stay cheap), so a re-run can tell done from unknown. A page of
        batches at a time, so resuming a huge job takes no more memory than running it."""
        db = self._conn
        while page := db.execute(
            "SELECT id, numbers FROM batch WHERE linked = 0 LIMIT ?", (LINK_PAGE,)
        ).fetchall():
            for batch, numbers in page:
                db.executemany(
                    "UPDATE recipient SET batch = ? WHERE number = ?",
                    ((batch, number) for number in numbers.split(",")),
                )
            db.executemany("UPDATE batch SET linked = 1 WHERE id = ?", ((b,) for b, _ in page))

    async def admit(
        self, numbers: Sequence[str], invalid: Sequence[tuple[str, str]] = ()
    ) -> Admission:
        """Record a chunk of normalised numbers; return those to send and what the rest are."""
        return await self._queue.call(lambda: self._admit(numbers, invalid))

    def _admit(self, numbers: Sequence[str], invalid: Sequence[tuple[str, str]]) -> Admission:
        """A lookup and an insert for the whole chunk (and an update for numbers an earlier
        run saw) rather than statements per number, which took 2.3 times as long."""
        db, run = self._conn, self._run
        with _Transaction(db):
            known = {row[0]: row[1:] for row in db.execute(_KNOWN, (json.dumps(numbers),))}
            admission, returning = classify(numbers, known, run)
            if invalid:
                db.executemany("INSERT INTO invalid VALUES (?, ?)", invalid)
            fresh = [number for number in admission.new if number not in known]
            db.execute(_INSERT_NEW, (run, json.dumps(fresh)))
            if returning:
                db.execute(_MARK_SEEN, (run, json.dumps(returning)))
        return admission

    async def claim(self, numbers: Sequence[str]) -> int:
        """Record a batch in flight and return its id: committed before this returns (and
        so before the request is sent) for a file journal, later for a temporary one."""
        self._last_batch = batch = self._last_batch + 1
        await self._queue.write(_Write(batch, ",".join(numbers), None), durable=not self.temporary)
        return batch

    async def finish(self, finished: Finished) -> None:
        """Queue a batch's outcome; it is committed with the next write."""
        await self._queue.write(_Write(finished.batch, None, finished), durable=False)

    def _write(self, writes: list[_Write]) -> None:
        """Apply claims and outcomes in one transaction."""
        db = self._conn
        with _Transaction(db):
            for batch, numbers, finished in writes:
                if finished is not None:
                    db.execute(_FINISH, _row(finished))
                else:
                    db.execute(_CLAIM, (batch, numbers))

    def problems(self) -> Iterator[Problem]:
        """Every failed, unknown or invalid recipient of the last run, read from the file."""
        db = sqlite3.connect(self.path)
        try:
            for numbers, outcome, reason in db.execute(
                "SELECT numbers, outcome, reason FROM batch WHERE state IN ('failed', 'unknown')"
            ):
                for number in numbers.split(","):
                    yield Problem(number, outcome, reason or outcome)
            for raw, reason in db.execute("SELECT raw, reason FROM invalid"):
                yield Problem(raw, "invalid", reason)
        finally:
            db.close()

    def _close(self) -> None:
        db, self._db = self._conn, None
        db.close()

    def remove(self) -> None:
        """Delete a temporary journal's file."""
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None


def _row(finished: Finished) -> tuple[str, str, str | None, str | None, int]:
    state = finished.outcome if finished.outcome in ("failed", "unknown") else "done"
    cost = None if finished.cost is None else str(finished.cost)
    return (state, finished.outcome, cost, finished.reason, finished.batch)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on error."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
