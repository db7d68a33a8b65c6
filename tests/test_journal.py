"""The journal's writer task. Claims and outcomes queued together share one thread call and
one transaction; a file journal's claim returns only once committed, so a batch's request
never leaves before its claim is on disk; a temporary journal's claims do not wait, and none
of them is lost to a cancellation or a failed write."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, closing
from pathlib import Path
from typing import Any

import anyio
import pytest

from callsavvy_async.bulk import Finished, SQLiteJournal, _writer

pytestmark = pytest.mark.anyio


def rows(journal: SQLiteJournal) -> dict[int, tuple[str, str | None, str]]:
    with closing(sqlite3.connect(journal.path)) as db:
        found = db.execute("SELECT id, state, outcome, numbers FROM batch").fetchall()
    return {batch: (state, outcome, numbers) for batch, state, outcome, numbers in found}


def count_writes(journal: SQLiteJournal, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record how many claims and outcomes each transaction carried."""
    sizes: list[int] = []
    real = journal._write

    def counted(writes: list[Any]) -> None:
        sizes.append(len(writes))
        real(writes)

    monkeypatch.setattr(journal, "_write", counted)
    return sizes


def fail_writes(journal: SQLiteJournal, times: int, monkeypatch: pytest.MonkeyPatch) -> None:
    real = journal._write
    failures = [sqlite3.OperationalError("database or disk is full")] * times

    def failing(writes: list[Any]) -> None:
        if failures:
            raise failures.pop()
        real(writes)

    monkeypatch.setattr(journal, "_write", failing)


@pytest.fixture
async def stack() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as stack:
        yield stack


async def opened(stack: AsyncExitStack, journal: SQLiteJournal) -> SQLiteJournal:
    await stack.enter_async_context(journal.session("job", resend_unknown=False))
    return journal


async def test_claims_made_together_share_writes_and_get_their_own_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = SQLiteJournal(tmp_path / "job.sqlite")
    writes = count_writes(journal, monkeypatch)
    claimed: dict[str, int] = {}

    async def claim(number: str) -> None:
        claimed[number] = await journal.claim([number, number + "0"])

    async with journal.session("job", resend_unknown=False):
        async with anyio.create_task_group() as tasks:
            for n in range(50):
                tasks.start_soon(claim, f"+4479{n:08d}")
        await journal.finish(Finished(claimed["+447900000007"], "sent"))

    assert len(set(claimed.values())) == 50
    assert len(writes) < 25
    assert sum(writes) == 51
    written = rows(journal)
    for number, batch in claimed.items():
        assert written[batch][2] == f"{number},{number}0"
    assert written[claimed["+447900000007"]][:2] == ("done", "sent")
    assert sum(state == "inflight" for state, _, _ in written.values()) == 49


async def test_a_file_journal_claim_returns_only_once_it_is_committed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = SQLiteJournal(tmp_path / "job.sqlite")
    release = anyio.Event()
    real = journal._write
    token = anyio.lowlevel.current_token()

    def slow(writes: list[Any]) -> None:
        anyio.from_thread.run(release.wait, token=token)
        real(writes)

    monkeypatch.setattr(journal, "_write", slow)
    returned: list[int] = []
    async with journal.session("job", resend_unknown=False):
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(lambda: _append(returned, journal.claim(["+447900000001"])))
                await anyio.wait_all_tasks_blocked()
                assert returned == []
                assert rows(journal) == {}
                release.set()
        assert rows(journal) == {returned[0]: ("inflight", None, "+447900000001")}


async def _append(found: list[int], claim: Any) -> None:
    found.append(await claim)


async def test_a_failed_write_fails_the_claims_in_it_and_later_ones_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stack: AsyncExitStack
) -> None:
    journal = await opened(stack, SQLiteJournal(tmp_path / "job.sqlite"))
    fail_writes(journal, 1, monkeypatch)
    outcomes: dict[int, object] = {}

    async def claim(n: int) -> None:
        try:
            outcomes[n] = await journal.claim([f"+4479{n:08d}"])
        except sqlite3.OperationalError as exc:
            outcomes[n] = exc

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tasks:
            for n in range(10):
                tasks.start_soon(claim, n)
        after = await journal.claim(["+447999999999"])
    failed = [n for n, o in outcomes.items() if isinstance(o, sqlite3.OperationalError)]
    assert failed, "the first transaction's claims see its error"
    await stack.aclose()
    written = {numbers for _, _, numbers in rows(journal).values()}
    assert "+447999999999" in written
    assert all(f"+4479{n:08d}" not in written for n in failed)
    assert all(
        rows(journal)[o][2] == f"+4479{n:08d}" for n, o in outcomes.items() if n not in failed
    )
    assert after in rows(journal)


async def test_what_a_cancelled_job_queued_is_still_committed(tmp_path: Path) -> None:
    journal = SQLiteJournal(tmp_path / "job.sqlite")
    with anyio.CancelScope() as scope:
        async with journal.session("job", resend_unknown=False):
            batch = await journal.claim(["+447900000001"])
            await journal.finish(Finished(batch, "failed", reason="no credit"))
            scope.cancel()
            await anyio.sleep(5)
    assert scope.cancelled_caught
    assert rows(journal) == {batch: ("failed", "failed", "+447900000001")}


async def test_admission_sorts_new_repeated_done_and_unknown_numbers_across_pages(
    tmp_path: Path,
) -> None:
    path = tmp_path / "job.sqlite"
    first = [f"+4479{n:08d}" for n in range(2_000)]
    journal = SQLiteJournal(path)
    async with journal.session("job", resend_unknown=False):
        admitted = await journal.admit([*first[:1_500], first[0], first[1]], [("x", "empty")])
        assert (len(admitted.new), admitted.duplicate) == (1_500, 2)
        done = await journal.claim(first[:1_000])
        await journal.finish(Finished(done, "sent"))
        await journal.claim(first[1_000:1_200])

    again = SQLiteJournal(path)
    async with again.session("job", resend_unknown=False):
        admitted = await again.admit([*reversed(first), first[5], first[1_900]])
    assert admitted.new == list(reversed(first[1_200:]))
    assert (admitted.skipped, admitted.unknown, admitted.duplicate) == (1_000, 200, 2)


@pytest.fixture
async def temporary(stack: AsyncExitStack) -> AsyncIterator[SQLiteJournal]:
    """An opened temporary journal, closed (if the test did not) and removed after it."""
    journal = SQLiteJournal(None)
    try:
        yield await opened(stack, journal)
    finally:
        await stack.aclose()
        journal.remove()


async def test_a_temporary_journal_claims_without_waiting_for_a_write(
    temporary: SQLiteJournal, stack: AsyncExitStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A temporary journal is never resumed, so a batch's request need not wait for its
    claim to reach the file; everything is in the file once the journal is closed."""
    release = anyio.Event()
    real = temporary._write
    token = anyio.lowlevel.current_token()

    def slow(writes: list[Any]) -> None:
        anyio.from_thread.run(release.wait, token=token)
        real(writes)

    monkeypatch.setattr(temporary, "_write", slow)
    with anyio.fail_after(5):
        first = await temporary.claim(["+447900000001"])
        second = await temporary.claim(["+447900000002"])
        await temporary.finish(Finished(first, "sent"))
        await temporary.finish(Finished(second, "failed", reason="no credit"))
    release.set()
    await stack.aclose()
    assert rows(temporary) == {
        first: ("done", "sent", "+447900000001"),
        second: ("failed", "failed", "+447900000002"),
    }
    assert [(p.recipient, p.reason) for p in temporary.problems()] == [
        ("+447900000002", "no credit")
    ]


async def test_a_temporary_journal_has_written_its_claims_when_an_admission_returns(
    temporary: SQLiteJournal,
) -> None:
    batch = await temporary.claim(["+447900000001"])
    await temporary.admit(["+447900000002"])
    assert rows(temporary) == {batch: ("inflight", None, "+447900000001")}


async def test_a_temporary_journal_keeps_a_bounded_number_of_writes_queued(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_writer, "QUEUE_SIZE", 8)
    journal = SQLiteJournal(None)
    try:
        async with journal.session("job", resend_unknown=False):
            most = 0
            for n in range(50):
                batch = await journal.claim([f"+4479{n:08d}"])
                await journal.finish(Finished(batch, "sent"))
                most = max(most, journal._queue.queued)
            assert most <= 8
        assert {state for state, _, _ in rows(journal).values()} == {"done"}
        assert len(rows(journal)) == 50
    finally:
        journal.remove()


async def test_writes_nobody_waits_for_survive_a_failed_transaction(
    temporary: SQLiteJournal, monkeypatch: pytest.MonkeyPatch, stack: AsyncExitStack
) -> None:
    fail_writes(temporary, 1, monkeypatch)
    batch = await temporary.claim(["+447900000001"])
    await temporary.finish(Finished(batch, "unknown", reason="no answer"))
    try:  # an admission that shares the failed transaction sees its error
        admitted = await temporary.admit(["+447900000002"])
    except sqlite3.OperationalError:
        admitted = await temporary.admit(["+447900000002"])
    assert admitted.new == ["+447900000002"]
    await stack.aclose()
    assert rows(temporary) == {batch: ("unknown", "unknown", "+447900000001")}


async def test_a_journal_whose_last_writes_fail_is_still_closed_and_released(
    temporary: SQLiteJournal, monkeypatch: pytest.MonkeyPatch, stack: AsyncExitStack
) -> None:
    await temporary.claim(["+447900000001"])
    fail_writes(temporary, 2, monkeypatch)
    with pytest.raises(sqlite3.OperationalError, match="disk is full"):
        await stack.aclose()
    assert temporary._db is None
    assert not temporary._lock.is_locked


async def test_a_temporary_journal_holds_its_writes_until_someone_waits(
    temporary: SQLiteJournal, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes = count_writes(temporary, monkeypatch)
    batch = await temporary.claim(["+447900000001"])
    await temporary.finish(Finished(batch, "sent"))
    await anyio.wait_all_tasks_blocked()
    assert writes == []
    await temporary.admit(["+447900000002"])
    assert writes == [2]
    assert rows(temporary) == {batch: ("done", "sent", "+447900000001")}
