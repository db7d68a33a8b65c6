"""The bulk journal: which recipients a job has seen and what became of each batch.

A batch is written "in flight" before its request leaves and "done" with its outcome
after, so a job that crashed can be re-run on its journal: what is done is skipped,
what was in flight is reported unknown and not resent, and the rest is sent. The same
unique key on recipients drops duplicates without holding a job's numbers in memory.

SQLite in WAL mode; every call runs in a worker thread so the event loop never blocks,
and claims made while a write is running share the next one (one thread call and one
transaction for many), since a thread hop costs more than the write itself. A temporary
journal is never resumed, so nothing waits for its claims and outcomes: they are written
with the next admission, at close, or once `_DEFERRED_MAX` are pending.
The engine uses only the JobStore protocol, so a shared store can replace SQLite.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pathlib
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Generic, NamedTuple, Protocol, TypeVar

import anyio
import anyio.to_thread
import attrs
import filelock

from callsavvy_async._errors import InvalidRequestError

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

_T = TypeVar("_T")
_I = TypeVar("_I")

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

    def row(self) -> tuple[str, str, str | None, str | None, int]:
        state = self.outcome if self.outcome in ("failed", "unknown") else "done"
        cost = None if self.cost is None else str(self.cost)
        return (state, self.outcome, cost, self.reason, self.batch)


@attrs.frozen
class Problem:
    """A recipient that was not confirmed sent: failed, unknown or invalid, and why."""

    recipient: str
    outcome: str
    reason: str


class JobStore(Protocol):
    """What the bulk engine needs from a journal."""

    async def open(self, identity: str, *, resend_unknown: bool) -> None: ...
    async def admit(
        self, numbers: Sequence[str], invalid: Sequence[tuple[str, str]]
    ) -> Admission: ...
    async def claim(self, numbers: Sequence[str], finished: Finished | None = None) -> int: ...
    async def finish(self, finished: Finished) -> None: ...
    def problems(self) -> Iterator[Problem]: ...
    async def aclose(self) -> None: ...


def job_identity(channel: str, *parts: object) -> str:
    """A job's identity: its channel plus a hash of what it sends and from where. The parts
    are hashed as a JSON list, so None differs from "None" and no text can shift a boundary."""
    text = json.dumps([str(p) if p is not None else None for p in parts])
    digest = hashlib.sha256(text.encode()).hexdigest()
    return f"{channel}:{digest[:32]}"


class SQLiteJournal:
    """A JobStore in one SQLite file; a temporary one (deleted on close) when `path` is None."""

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self._tempdir = None if path is not None else tempfile.mkdtemp(prefix="callsavvy-")
        self.path = (
            os.fspath(path) if path is not None else os.path.join(self._tempdir or "", "job.sqlite")
        )
        self.temporary = path is None
        self._lock = filelock.FileLock(self.path + ".lock", timeout=0, thread_local=False)
        self._db: sqlite3.Connection | None = None
        self._run = 0
        self._limiter = anyio.CapacityLimiter(1)
        self._in_use = threading.Lock()
        self._writes = _Coalesced(self._write, self._limiter)
        self._deferred: list[_Write] = []
        self._last_batch = 0

    async def _call(self, function: Callable[[], _T]) -> _T:
        """Run `function` in a worker thread, after the deferred writes. They are taken
        only once the limiter is held, and the call is then shielded, so a cancelled caller
        leaves them either queued or written; writes that fail are queued again."""
        async with self._limiter:
            writes, self._deferred = self._deferred, []
            try:
                with anyio.CancelScope(shield=bool(writes)):
                    result = await anyio.to_thread.run_sync(self._alone, writes, function)
            except Exception:
                self._deferred[:0] = writes
                raise
        return result

    def _alone(self, writes: list[_Write], function: Callable[[], _T]) -> _T:
        """Run `function` with the connection to itself: a call whose awaiting task was
        interrupted (a KeyboardInterrupt in the event loop) may still be running, and SQLite
        must not see a second thread, least of all close(), meanwhile. `writes` is emptied
        once written, so a failure of `function` does not queue them again."""
        with self._in_use:
            if writes:
                self._write_alone(writes)
                writes.clear()
            return function()

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise RuntimeError("the journal is not open")
        return self._db

    async def open(self, identity: str, *, resend_unknown: bool) -> None:
        """Create or resume the journal of job `identity`; refuse another job's journal."""
        await self._call(lambda: self._open(identity, resend_unknown))

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
            self._db.close()
            self._db = None
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
        with self._transaction():
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
            "SELECT id, numbers FROM batch WHERE linked = 0 LIMIT ?", (_LINK_PAGE,)
        ).fetchall():
            for batch, numbers in page:
                db.executemany(
                    "UPDATE recipient SET batch = ? WHERE number = ?",
                    ((batch, number) for number in numbers.split(",")),
                )
            db.executemany("UPDATE batch SET linked = 1 WHERE id = ?", ((b,) for b, _ in page))

    def _transaction(self) -> _Transaction:
        return _Transaction(self._conn)

    async def admit(
        self, numbers: Sequence[str], invalid: Sequence[tuple[str, str]] = ()
    ) -> Admission:
        """Record a chunk of normalised numbers; return those to send and what the rest are."""
        return await self._call(lambda: self._admit(numbers, invalid))

    def _admit(self, numbers: Sequence[str], invalid: Sequence[tuple[str, str]]) -> Admission:
        """A lookup and an insert for the whole chunk (and an update for numbers an earlier
        run saw) rather than statements per number, which took 2.3 times as long."""
        db, run = self._conn, self._run
        with self._transaction():
            known = {row[0]: row[1:] for row in db.execute(_KNOWN, (json.dumps(numbers),))}
            admission, returning = _classify(numbers, known, run)
            if invalid:
                db.executemany("INSERT INTO invalid VALUES (?, ?)", invalid)
            fresh = [number for number in admission.new if number not in known]
            db.execute(_INSERT_NEW, (run, json.dumps(fresh)))
            if returning:
                db.execute(_MARK_SEEN, (run, json.dumps(returning)))
        return admission

    async def claim(self, numbers: Sequence[str], finished: Finished | None = None) -> int:
        """Record a batch in flight, together with the outcome of the claimer's previous
        batch, and return the new batch's id: on disk before this returns (and so before
        the request is sent) for a file journal, later for a temporary one (see _submit)."""
        self._last_batch = batch = self._last_batch + 1
        await self._submit(_Write(batch, ",".join(numbers), finished))
        return batch

    async def finish(self, finished: Finished) -> None:
        """Record a batch's outcome on its own (the claimer has no next batch)."""
        await self._submit(_Write(None, None, finished))

    async def _submit(self, write: _Write) -> None:
        """Write now, sharing the write with whatever else is waiting; or, for a temporary
        journal, leave it for the next thread call unless too many are pending."""
        if not self.temporary:
            await self._writes.submit(write)
            return
        if len(self._deferred) >= _DEFERRED_MAX:
            await self._call(_nothing)
        self._deferred.append(write)

    def _write(self, writes: list[_Write]) -> None:
        """Apply several claims and outcomes in one transaction."""
        self._alone(writes, _nothing)

    def _write_alone(self, writes: list[_Write]) -> None:
        db = self._conn
        with self._transaction():
            for batch, numbers, finished in writes:
                if finished is not None:
                    db.execute(_FINISH, finished.row())
                if batch is not None:
                    db.execute(_CLAIM, (batch, numbers))

    def problems(self) -> Iterator[Problem]:
        """Every failed, unknown or invalid recipient of this run, read from the file."""
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

    async def aclose(self) -> None:
        """Write what is pending, close the file and let other runs open it; the report can
        still read problems(). The file is closed even if the writes fail."""
        if self._db is None:
            return
        with anyio.CancelScope(shield=True):
            try:
                await self._call(self._close)
            finally:
                try:
                    if self._db is not None:  # the pending writes failed: close without them
                        self._deferred = []
                        await self._call(self._close)
                finally:
                    self._lock.release()

    def _close(self) -> None:
        db, self._db = self._conn, None
        db.close()

    def remove(self) -> None:
        """Delete a temporary journal's file."""
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None


_KNOWN = (
    "SELECT r.number, r.batch, r.run, b.state FROM recipient r "
    "LEFT JOIN batch b ON b.id = r.batch WHERE r.number IN (SELECT value FROM json_each(?))"
)
_INSERT_NEW = "INSERT INTO recipient SELECT value, NULL, ? FROM json_each(?)"
_MARK_SEEN = "UPDATE recipient SET run = ? WHERE number IN (SELECT value FROM json_each(?))"
_FINISH = "UPDATE batch SET state = ?, outcome = ?, cost = ?, reason = ? WHERE id = ?"
_CLAIM = "INSERT INTO batch (id, state, numbers) VALUES (?, 'inflight', ?)"
_DEFERRED_MAX = 1024
_LINK_PAGE = 256


def _classify(
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


class _Write(NamedTuple):
    """A batch to claim (its id and comma-joined numbers) and/or an outcome to record."""

    batch: int | None
    numbers: str | None
    finished: Finished | None


def _nothing() -> None:
    """The function of a thread call made only for the writes that go before it."""


class _Waiter(Generic[_I]):
    """One submitted item, until a write settles it."""

    __slots__ = ("_error", "_event", "done", "item")

    def __init__(self, item: _I) -> None:
        self.item = item
        self.done = False
        self._event = anyio.Event()
        self._error: BaseException | None = None

    async def wait(self) -> None:
        await self._event.wait()
        self._event = anyio.Event()

    def wake(self) -> None:
        self._event.set()

    def settle(self, error: BaseException | None = None) -> None:
        self.done = True
        self._error = error
        self._event.set()

    def check(self) -> None:
        if self._error is not None:
            raise self._error


class _Coalesced(Generic[_I]):
    """Items submitted while a write runs wait for the next, which takes them all: whoever
    finds no write running makes it, and hands over to the next in line when done.

    Like `anyio.to_thread.run_sync`, a submitter may be cancelled until its item is taken
    (then it is not written), and a write that has begun is finished; the group is taken
    only once `limiter` is held, so a cancelled wait for it leaves nothing half-taken."""

    def __init__(self, write: Callable[[list[_I]], None], limiter: anyio.CapacityLimiter):
        self._write = write
        self._limiter = limiter
        self._queued: list[_Waiter[_I]] = []
        self._writing = False

    async def submit(self, item: _I) -> None:
        """Write `item` (with whatever else is waiting); raise what the write raised."""
        waiter: _Waiter[_I] = _Waiter(item)
        self._queued.append(waiter)
        try:
            while not waiter.done:
                if self._writing:
                    await waiter.wait()
                else:
                    await self._write_queued()
        except BaseException:
            if waiter in self._queued:
                self._queued.remove(waiter)
            self._hand_over()
            raise
        waiter.check()

    async def _write_queued(self) -> None:
        self._writing = True
        try:
            async with self._limiter:
                group, self._queued = self._queued, []
                await self._write_group(group)
        finally:
            self._writing = False
            self._hand_over()

    async def _write_group(self, group: list[_Waiter[_I]]) -> None:
        """Write the group in a worker thread and settle every member."""
        try:
            await anyio.to_thread.run_sync(self._write, [w.item for w in group])
        except Exception as exc:
            for waiter in group:
                waiter.settle(exc)
        except BaseException:
            for waiter in group:
                waiter.settle(_Interrupted("the journal write was interrupted"))
            raise
        else:
            for waiter in group:
                waiter.settle()

    def _hand_over(self) -> None:
        """Let the next in line write what is queued, unless a write is running."""
        if self._queued and not self._writing:
            self._queued[0].wake()


class _Interrupted(RuntimeError):
    """The write carrying this item was interrupted (a KeyboardInterrupt, or a native
    asyncio cancel of the task that made it); the item may or may not have been written,
    and is never written again."""


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on error."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
