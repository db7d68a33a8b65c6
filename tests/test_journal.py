"""The journal's writes. In a file journal, claims made together share a thread call, and
each claimer still gets its own batch, its own error, or nothing written if it left first.
A temporary journal writes claims and outcomes later, in order, and loses none of them to
a cancellation or a failed write."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from callsavvy_async import journal as journal_module
from callsavvy_async.journal import Finished, SQLiteJournal

pytestmark = pytest.mark.anyio


def rows(journal: SQLiteJournal) -> dict[int, tuple[str, str | None, str]]:
    with sqlite3.connect(journal.path) as db:
        found = db.execute("SELECT id, state, outcome, numbers FROM batch").fetchall()
    return {batch: (state, outcome, numbers) for batch, state, outcome, numbers in found}


async def opened(tmp_path: Path) -> SQLiteJournal:
    journal = SQLiteJournal(tmp_path / "job.sqlite")
    await journal.open("job", resend_unknown=False)
    return journal


def claimer(journal: SQLiteJournal, claimed: list[int]) -> Callable[[str], Awaitable[None]]:
    """A task that claims a one-number batch and keeps its id."""

    async def claim(number: str) -> None:
        claimed.append(await journal.claim([number]))

    return claim


def count_writes(journal: SQLiteJournal, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    sizes: list[int] = []
    real = journal._writes._write

    def counted(writes: list[Any]) -> None:
        sizes.append(len(writes))
        return real(writes)

    monkeypatch.setattr(journal._writes, "_write", counted)
    return sizes


async def test_claims_made_together_share_writes_and_get_their_own_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = await opened(tmp_path)
    writes = count_writes(journal, monkeypatch)
    claimed: dict[str, int] = {}

    async def claim(number: str) -> None:
        claimed[number] = await journal.claim([number, number + "0"])

    async with anyio.create_task_group() as tasks:
        for n in range(50):
            tasks.start_soon(claim, f"+4479{n:08d}")
    await journal.finish(Finished(claimed["+447900000007"], "sent"))
    await journal.aclose()

    assert len(set(claimed.values())) == 50
    assert len(writes) < 25
    assert sum(writes) == 51
    written = rows(journal)
    for number, batch in claimed.items():
        assert written[batch][2] == f"{number},{number}0"
    assert written[claimed["+447900000007"]][:2] == ("done", "sent")
    assert sum(state == "inflight" for state, _, _ in written.values()) == 49


async def test_a_failed_write_fails_the_claims_in_it_and_later_ones_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = await opened(tmp_path)
    real = journal._writes._write
    failures = [sqlite3.OperationalError("disk I/O error")]

    def failing_once(writes: list[Any]) -> None:
        if failures:
            raise failures.pop()
        return real(writes)

    monkeypatch.setattr(journal._writes, "_write", failing_once)
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
    await journal.aclose()

    assert all(isinstance(o, sqlite3.OperationalError) for o in outcomes.values())
    assert len(outcomes) == 10
    assert list(rows(journal)) == [after]


async def test_a_claim_cancelled_while_waiting_its_turn_is_not_written(tmp_path: Path) -> None:
    journal = await opened(tmp_path)
    claimed: list[int] = []
    claim = claimer(journal, claimed)

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tasks, journal._limiter:
            tasks.start_soon(claim, "+447900000001")
            await anyio.wait_all_tasks_blocked()
            async with anyio.create_task_group() as leaving:
                leaving.start_soon(claim, "+447900000002")
                await anyio.wait_all_tasks_blocked()
                leaving.cancel_scope.cancel()
            tasks.start_soon(claim, "+447900000003")
            await anyio.wait_all_tasks_blocked()
    await journal.aclose()

    assert len(claimed) == 2
    written = sorted(numbers for _, _, numbers in rows(journal).values())
    assert written == ["+447900000001", "+447900000003"]


async def test_claims_left_waiting_when_their_writer_is_cancelled_are_still_written(
    tmp_path: Path,
) -> None:
    journal = await opened(tmp_path)
    claimed: list[int] = []
    claim = claimer(journal, claimed)

    with anyio.fail_after(10):
        async with (
            anyio.create_task_group() as tasks,
            journal._limiter,
            anyio.create_task_group() as leaving,
        ):
            leaving.start_soon(claim, "+447900000001")
            await anyio.wait_all_tasks_blocked()
            tasks.start_soon(claim, "+447900000002")
            await anyio.wait_all_tasks_blocked()
            leaving.start_soon(claim, "+447900000003")
            await anyio.wait_all_tasks_blocked()
            leaving.cancel_scope.cancel()
    await journal.aclose()

    assert len(claimed) == 1
    assert [numbers for _, _, numbers in rows(journal).values()] == ["+447900000002"]


async def test_admission_sorts_new_repeated_done_and_unknown_numbers_across_pages(
    tmp_path: Path,
) -> None:
    path = tmp_path / "job.sqlite"
    first = [f"+4479{n:08d}" for n in range(2_000)]
    journal = SQLiteJournal(path)
    await journal.open("job", resend_unknown=False)
    admitted = await journal.admit([*first[:1_500], first[0], first[1]], [("x", "empty")])
    assert (len(admitted.new), admitted.duplicate) == (1_500, 2)
    done = await journal.claim(first[:1_000])
    await journal.finish(Finished(done, "sent"))
    await journal.claim(first[1_000:1_200])
    await journal.aclose()

    again = SQLiteJournal(path)
    await again.open("job", resend_unknown=False)
    admitted = await again.admit([*reversed(first), first[5], first[1_900]])
    await again.aclose()
    assert admitted.new == list(reversed(first[1_200:]))
    assert (admitted.skipped, admitted.unknown, admitted.duplicate) == (1_000, 200, 2)


@pytest.fixture
async def temporary() -> AsyncIterator[SQLiteJournal]:
    """An opened temporary journal, its file removed after the test."""
    journal = SQLiteJournal(None)
    await journal.open("job", resend_unknown=False)
    yield journal
    journal.remove()


async def test_a_temporary_journal_claims_without_waiting_for_a_write(
    temporary: SQLiteJournal,
) -> None:
    """A temporary journal is never resumed, so a batch's request need not wait for its
    claim to reach the file; everything is in the file once the journal is closed."""
    with anyio.fail_after(5):
        async with temporary._limiter:  # no thread call can run meanwhile
            first = await temporary.claim(["+447900000001"])
            second = await temporary.claim(["+447900000002"], Finished(first, "sent"))
            await temporary.finish(Finished(second, "failed", reason="no credit"))
    await temporary.aclose()
    assert rows(temporary) == {
        first: ("done", "sent", "+447900000001"),
        second: ("failed", "failed", "+447900000002"),
    }
    assert [(p.recipient, p.reason) for p in temporary.problems()] == [
        ("+447900000002", "no credit")
    ]


async def test_a_temporary_journal_writes_pending_claims_with_the_next_admission(
    temporary: SQLiteJournal,
) -> None:
    batch = await temporary.claim(["+447900000001"])
    assert rows(temporary) == {}
    await temporary.admit(["+447900000002"])
    assert rows(temporary) == {batch: ("inflight", None, "+447900000001")}
    await temporary.aclose()


async def test_a_temporary_journal_keeps_a_bounded_number_of_writes_pending(
    temporary: SQLiteJournal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal_module, "_DEFERRED_MAX", 8)
    most = 0
    for n in range(50):
        batch = await temporary.claim([f"+4479{n:08d}"])
        await temporary.finish(Finished(batch, "sent"))
        most = max(most, len(temporary._deferred))
    assert most <= 8
    assert len(rows(temporary)) >= 50 - 4
    await temporary.aclose()
    assert {state for state, _, _ in rows(temporary).values()} == {"done"}
    assert len(rows(temporary)) == 50


async def test_writes_left_pending_by_a_cancelled_admission_are_written_later(
    temporary: SQLiteJournal,
) -> None:
    batch = await temporary.claim(["+447900000001"])
    with anyio.fail_after(5):
        async with temporary._limiter, anyio.create_task_group() as leaving:
            leaving.start_soon(temporary.admit, ["+447900000002"])
            await anyio.wait_all_tasks_blocked()
            leaving.cancel_scope.cancel()
    await temporary.aclose()
    assert rows(temporary) == {batch: ("inflight", None, "+447900000001")}


async def test_writes_taken_by_an_admission_cancelled_before_its_thread_runs_are_written(
    temporary: SQLiteJournal,
) -> None:
    batch = await temporary.claim(["+447900000001"])
    await temporary.finish(Finished(batch, "failed", reason="no credit"))
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tasks:
            async with temporary._limiter:
                tasks.start_soon(temporary.admit, ["+447900000002"])
                await anyio.wait_all_tasks_blocked()
            tasks.cancel_scope.cancel()  # admit() holds the limiter but has not run yet
    await temporary.aclose()
    assert rows(temporary) == {batch: ("failed", "failed", "+447900000001")}
    assert [p.reason for p in temporary.problems()] == ["no credit"]


def fail_writes(journal: SQLiteJournal, times: int, monkeypatch: pytest.MonkeyPatch) -> None:
    real = journal._write_alone
    failures = [sqlite3.OperationalError("database or disk is full")] * times

    def failing(writes: list[Any]) -> None:
        if failures:
            raise failures.pop()
        real(writes)

    monkeypatch.setattr(journal, "_write_alone", failing)


async def test_pending_writes_that_fail_are_written_by_the_next_call(
    temporary: SQLiteJournal, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = await temporary.claim(["+447900000001"])
    fail_writes(temporary, 1, monkeypatch)
    with pytest.raises(sqlite3.OperationalError, match="disk is full"):
        await temporary.admit(["+447900000002"])
    await temporary.finish(Finished(batch, "unknown", reason="no answer"))
    assert (await temporary.admit(["+447900000002"])).new == ["+447900000002"]
    await temporary.aclose()
    assert rows(temporary) == {batch: ("unknown", "unknown", "+447900000001")}


async def test_a_journal_whose_last_writes_fail_is_still_closed_and_released(
    temporary: SQLiteJournal, monkeypatch: pytest.MonkeyPatch
) -> None:
    await temporary.claim(["+447900000001"])
    fail_writes(temporary, 2, monkeypatch)
    with pytest.raises(sqlite3.OperationalError, match="disk is full"):
        await temporary.aclose()
    assert temporary._db is None
    assert not temporary._lock.is_locked


async def test_a_claim_cancelled_while_pending_writes_are_flushed_is_not_written(
    temporary: SQLiteJournal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal_module, "_DEFERRED_MAX", 2)
    await temporary.claim(["+447900000001"])
    await temporary.claim(["+447900000002"])
    with anyio.fail_after(5):
        async with temporary._limiter, anyio.create_task_group() as leaving:
            leaving.start_soon(temporary.claim, ["+447900000003"])
            await anyio.wait_all_tasks_blocked()
            leaving.cancel_scope.cancel()
    await temporary.aclose()
    written = sorted(numbers for _, _, numbers in rows(temporary).values())
    assert written == ["+447900000001", "+447900000002"]
