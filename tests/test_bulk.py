"""Bulk sends against the sandbox: each valid recipient at most once, and reports that add up."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from callsavvy_async import AuthenticationError, InvalidRequestError
from callsavvy_async._pipeline import _retry
from callsavvy_async.bulk import BulkReport, JournalMismatchError
from callsavvy_async.sandbox import Sandbox

pytestmark = pytest.mark.anyio


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    async def instant(delay: float) -> None:
        await anyio.lowlevel.checkpoint()

    monkeypatch.setattr(_retry, "sleep", instant)


def numbers(count: int, start: int = 0) -> list[str]:
    return [f"+4479{n:08d}" for n in range(start, start + count)]


def adds_up(report: BulkReport, read: int) -> None:
    assert report.total == read


async def test_ten_thousand_with_invalid_and_duplicates() -> None:
    sb = Sandbox(seed=1)
    valid = numbers(10_000)
    messy = [f"00{n[1:3]} {n[3:7]}-{n[7:]}" for n in valid[:500]]
    invalid = ["", "12345", "+44abc", "not a number"] * 25
    source = valid + messy + invalid + valid[:250]
    async with sb.client() as cs:
        report = await cs.whatsapp.send_bulk("uid", source, "Sale today", concurrency=16)
    ledger = Counter(entry.recipient for entry in sb.ledger)
    assert set(ledger) == set(valid)
    assert max(ledger.values()) == 1
    assert report.sent + report.queued == 10_000
    assert (report.invalid, report.duplicate) == (100, 750)
    assert report.failed == report.unknown == report.skipped == 0
    assert report.batches == sb.requests["sendWhatsapp"] == 334
    adds_up(report, len(source))
    assert {p.outcome for p in report.problems()} == {"invalid"}
    assert sum(1 for _ in report.problems()) == 100


@pytest.mark.usefixtures("no_backoff")
async def test_rate_limits_and_lost_answers_never_duplicate() -> None:
    sb = Sandbox(seed=2)
    sb.inject("sendWhatsapp", rate_limit_rate=0.2, retry_after=0.01, lost_answer_rate=0.1)
    async with sb.client() as cs:
        report = await cs.whatsapp.send_bulk("uid", numbers(3_000), "hi", concurrency=8)
    ledger = Counter(entry.recipient for entry in sb.ledger)
    assert max(ledger.values()) == 1
    assert report.unknown > 0
    assert len(ledger) == report.sent + report.queued + report.unknown
    unknown = {p.recipient for p in report.problems() if p.outcome == "unknown"}
    assert len(unknown) == report.unknown
    assert unknown <= set(ledger)
    assert report.batches == 100
    assert report.failed == 0
    adds_up(report, 3_000)


async def test_server_errors_are_unknown_not_resent() -> None:
    sb = Sandbox(seed=3)
    sb.inject("sendSMS", server_error_rate=0.3)
    async with sb.client() as cs:
        report = await cs.sms.send_bulk(numbers(2_000), "hi", batch_size=100)
    assert sb.requests["sendSMS"] == report.batches == 20
    assert report.unknown % 100 == 0
    assert report.unknown > 0
    assert report.sent + report.queued == len(sb.ledger)
    assert len({e.recipient for e in sb.ledger}) == len(sb.ledger)


async def test_async_iterable_source() -> None:
    async def generate() -> AsyncIterator[str]:
        for number in numbers(95):
            await anyio.lowlevel.checkpoint()
            yield number

    sb = Sandbox()
    async with sb.client() as cs:
        report = await cs.robocalls.send_bulk(
            generate(), "Your table is ready", call_type="Text-2-Speech", duration=1, batch_size=10
        )
    assert report.batches == 10
    assert sorted(e.recipient for e in sb.ledger) == numbers(95)
    assert {e.channel for e in sb.ledger} == {"robocall"}


async def test_csv_and_text_files(tmp_path: Path) -> None:
    csv_file = tmp_path / "list.csv"
    csv_file.write_text(
        "name,Phone\n" + "".join(f"Person {i},{n}\n" for i, n in enumerate(numbers(40))) + "Bad,x\n"
    )
    text_file = tmp_path / "list.txt"
    text_file.write_text("\n".join(numbers(10, 100)) + "\n\n")
    sb = Sandbox()
    async with sb.client() as cs:
        from_csv = await cs.whatsapp.send_bulk("uid", csv_file, "hi")
        from_text = await cs.sms.send_bulk(text_file, "hi")
    assert (from_csv.sent + from_csv.queued, from_csv.invalid) == (40, 1)
    assert from_text.sent + from_text.queued == 10
    assert {e.recipient for e in sb.ledger} == set(numbers(40)) | set(numbers(10, 100))


async def test_journal_resume_skips_done_and_refuses_other_jobs(tmp_path: Path) -> None:
    journal = tmp_path / "job.sqlite"
    sb = Sandbox()
    async with sb.client() as cs:
        first = await cs.whatsapp.send_bulk("uid", numbers(300), "hi", journal=journal)
        second = await cs.whatsapp.send_bulk("uid", numbers(450), "hi", journal=journal)
        third = await cs.whatsapp.send_bulk("uid", numbers(450), "hi", journal=journal)
        with pytest.raises(JournalMismatchError):
            await cs.whatsapp.send_bulk("uid", numbers(10), "another message", journal=journal)
    assert first.sent + first.queued == 300
    assert (second.skipped, second.sent + second.queued) == (300, 150)
    assert (third.skipped, third.sent + third.queued, third.batches) == (450, 0, 0)
    assert len(sb.ledger) == 450


async def test_bad_keys_abort_at_once_with_the_plain_error() -> None:
    sb = Sandbox()
    async with sb.client(private_key="TEST-wrong") as cs:
        with pytest.raises(AuthenticationError):
            await cs.whatsapp.send_bulk("uid", numbers(3_000), "hi", concurrency=4)
    assert sb.requests["sendWhatsapp"] <= 4
    assert sb.ledger == []


async def test_cancellation_leaves_a_consistent_journal(tmp_path: Path) -> None:
    journal = tmp_path / "job.sqlite"
    sb = Sandbox()
    sb.inject("sendWhatsapp", latency=0.01)
    async with sb.client() as cs:
        some_sent = anyio.Event()

        def progress(report: BulkReport) -> None:
            if report.sent + report.queued >= 60:
                some_sent.set()

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(
                lambda: cs.whatsapp.send_bulk(
                    "uid",
                    numbers(3_000),
                    "hi",
                    journal=journal,
                    concurrency=4,
                    on_progress=progress,
                )
            )
            with anyio.fail_after(30):
                await some_sent.wait()
            tasks.cancel_scope.cancel()
        sent_before = len(sb.ledger)
        sb.clear_faults()
        resumed = await cs.whatsapp.send_bulk("uid", numbers(3_000), "hi", journal=journal)
    ledger = Counter(e.recipient for e in sb.ledger)
    assert 0 < sent_before < 3_000
    assert max(ledger.values()) == 1
    assert set(ledger) == set(numbers(3_000))
    assert resumed.unknown == 0
    assert resumed.skipped == sent_before


async def test_streaming_results_and_progress() -> None:
    sb = Sandbox()
    seen: list[int] = []
    async with (
        sb.client() as cs,
        cs.whatsapp.send_bulk_iter(
            "uid", numbers(95), "hi", on_progress=lambda report: seen.append(report.total)
        ) as results,
    ):
        batches = [batch async for batch in results]
    assert sorted(len(b.recipients) for b in batches) == [5, 30, 30, 30]
    assert all(b.outcome in {"sent", "queued"} for b in batches)
    assert results.report.sent + results.report.queued == 95
    assert seen == sorted(seen)
    assert seen[-1] == 95


async def test_leaving_the_stream_early_stops_new_batches() -> None:
    sb = Sandbox()
    async with (
        sb.client() as cs,
        cs.whatsapp.send_bulk_iter("uid", numbers(3_000), "hi", concurrency=2) as results,
    ):
        async for _ in results:
            break
    assert len(sb.ledger) < 3_000


async def test_rate_per_second_spaces_requests() -> None:
    sb = Sandbox()
    async with sb.client() as cs:
        started = anyio.current_time()
        report = await cs.whatsapp.send_bulk("uid", numbers(300), "hi", rate_per_second=50)
    assert report.batches == 10
    assert anyio.current_time() - started >= 9 / 50


async def test_arguments_are_checked_before_any_request() -> None:
    sb = Sandbox()
    async with sb.client(max_connections=4) as cs:
        with pytest.raises(InvalidRequestError, match="max_connections"):
            await cs.whatsapp.send_bulk("uid", numbers(10), "hi", concurrency=8)
        with pytest.raises(InvalidRequestError, match="30"):
            await cs.whatsapp.send_bulk("uid", numbers(10), "hi", batch_size=31)
        with pytest.raises(InvalidRequestError, match="message"):
            await cs.sms.send_bulk(numbers(10), "")
        with pytest.raises(InvalidRequestError, match="call_type"):
            await cs.robocalls.send_bulk(numbers(10), "hi", call_type="Video", duration=1)  # type: ignore[arg-type]
    assert sum(sb.requests.values()) == 0


async def test_strict_numbers_is_opt_in() -> None:
    fake_but_well_formed = "+99912345678"
    sb = Sandbox()
    async with sb.client() as cs:
        lenient = await cs.sms.send_bulk([fake_but_well_formed, "+447911123456"], "hi")
        strict = await cs.sms.send_bulk(
            [fake_but_well_formed, "+447911123456"], "hi again", strict_numbers=True
        )
    assert lenient.sent + lenient.queued == 2
    assert (strict.sent + strict.queued, strict.invalid) == (1, 1)


@pytest.mark.usefixtures("no_backoff")
async def test_unsent_attempts_are_retried_and_odd_statuses_are_queued() -> None:
    import httpx

    from callsavvy_async import AsyncCallsavvy

    calls = 0

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls <= 3:
            raise httpx.ConnectError("refused")
        status = "pending" if calls % 2 else "sent"
        data = {"resource": "sendWhatsapp", "status": "success", "data": {"status": status}}
        return httpx.Response(200, json=data)

    transport = httpx.MockTransport(answer)
    async with AsyncCallsavvy(public_key="pk", private_key="sk-secret", transport=transport) as cs:
        report = await cs.whatsapp.send_bulk("uid", numbers(60), "hi", concurrency=1)
    assert report.batches == 2
    assert calls == 5
    assert report.sent + report.queued == 60
    assert report.queued == 30
    assert report.failed == report.unknown == 0


async def test_a_recipient_that_is_not_valid_text_is_counted_invalid() -> None:
    sb = Sandbox(seed=1)
    source = ["+447900000001", "\ud800", "+44790\udcff0002", "+447900000003"]
    async with sb.client() as cs:
        report = await cs.sms.send_bulk(source, "hi")
    assert sorted(entry.recipient for entry in sb.ledger) == ["+447900000001", "+447900000003"]
    assert report.invalid == 2
    assert [p.recipient for p in report.problems()] == ["\\ud800", "+44790\\udcff0002"]


async def test_an_answer_with_a_cost_that_is_not_a_number_does_not_stop_the_job() -> None:
    import httpx

    from callsavvy_async import AsyncCallsavvy

    answers = iter(["sNaN", "Infinity", "0.05", "-Infinity"])

    def api(request: httpx.Request) -> httpx.Response:
        data = {"status": "sent", "cost": next(answers)}
        return httpx.Response(200, json={"status": "success", "data": data})

    transport = httpx.MockTransport(api)
    async with AsyncCallsavvy(public_key="pk", private_key="sk-secret", transport=transport) as cs:
        report = await cs.sms.send_bulk(numbers(4), "hi", batch_size=1, concurrency=1)
    assert (report.sent, report.unknown) == (1, 3)
    assert str(report.cost) == "0.05"


async def test_two_runs_of_a_job_on_one_journal_cannot_overlap(tmp_path: Path) -> None:
    from callsavvy_async.bulk import JournalInUseError

    sb = Sandbox(seed=1)
    journal = tmp_path / "job.sqlite"
    sb.inject("sendSMS", latency=0.05)
    outcomes: list[object] = []

    async def run(cs: Any) -> None:
        try:
            outcomes.append(await cs.sms.send_bulk(numbers(200), "hi", journal=journal))
        except JournalInUseError as exc:
            outcomes.append(exc)

    async with sb.client(max_connections=16) as cs, anyio.create_task_group() as tasks:
        tasks.start_soon(run, cs)
        tasks.start_soon(run, cs)
    assert sorted(type(o).__name__ for o in outcomes) == ["BulkReport", "JournalInUseError"]
    assert Counter(entry.recipient for entry in sb.ledger) == Counter(numbers(200))
    async with sb.client() as cs:
        again = await cs.sms.send_bulk(numbers(200), "hi", journal=journal)
    assert again.skipped == 200


async def test_spellings_of_one_number_reach_it_once() -> None:
    sb = Sandbox(seed=1)
    spellings = ["+447989987123", "+44 (0) 7989 987123", "0044 (0)7989-987123"]
    async with sb.client() as cs:
        lenient = await cs.sms.send_bulk(spellings, "hi")
        strict = await cs.sms.send_bulk(spellings, "hi again", strict_numbers=True)
    assert [e.recipient for e in sb.ledger] == ["+447989987123", "+447989987123"]
    assert lenient.duplicate == strict.duplicate == 2


async def test_jobs_whose_parts_differ_only_in_how_they_print_are_different_jobs(
    tmp_path: Path,
) -> None:
    sb = Sandbox(seed=1)
    async with sb.client() as cs:
        first = tmp_path / "first.sqlite"
        await cs.sms.send_bulk(numbers(2), "hi", None, journal=first)
        with pytest.raises(JournalMismatchError):
            await cs.sms.send_bulk(numbers(2), "hi", "None", journal=first)
        second = tmp_path / "second.sqlite"
        await cs.whatsapp.send_bulk("u1", numbers(2), "x\x1fy", journal=second)
        with pytest.raises(JournalMismatchError):
            await cs.whatsapp.send_bulk("u1\x1fx", numbers(2), "y", journal=second)


async def test_leaving_the_stream_early_keeps_report_and_journal_in_step() -> None:
    sb = Sandbox(seed=1)
    sb.inject("sendSMS", rate_limit_rate=0.5, retry_after=0.2)
    async with (
        sb.client() as cs,
        cs.sms.send_bulk_iter(numbers(200), "hi", batch_size=10, concurrency=4) as results,
    ):
        seen = 0
        async for _ in results:
            seen += 1
            if seen == 3:
                break
    report = results.report
    outcomes = Counter(p.outcome for p in report.problems())
    assert outcomes["failed"] == report.failed
    assert outcomes["unknown"] == report.unknown


@pytest.mark.parametrize(
    "options",
    [
        {"rate_per_second": float("nan")},
        {"rate_per_second": float("inf")},
        {"batch_size": 2.5},
        {"concurrency": 1.5},
        {"concurrency": True},
    ],
)
async def test_odd_job_options_are_refused(options: dict[str, Any]) -> None:
    sb = Sandbox(seed=1)
    async with sb.client() as cs:
        with pytest.raises(InvalidRequestError):
            await cs.sms.send_bulk(numbers(3), "hi", **options)
    assert sb.ledger == []


async def test_resuming_links_more_batches_than_one_page(tmp_path: Path) -> None:
    from callsavvy_async.bulk import _sqlite

    sb = Sandbox(seed=1)
    path = tmp_path / "job.sqlite"
    count = _sqlite.LINK_PAGE * 2 + 3
    async with sb.client() as cs:
        first = await cs.sms.send_bulk(numbers(count), "hi", batch_size=1, journal=path)
        again = await cs.sms.send_bulk(numbers(count), "hi", batch_size=1, journal=path)
    assert first.sent + first.queued == count
    assert (again.skipped, again.batches, len(sb.ledger)) == (count, 0, count)


@pytest.mark.parametrize("where", ["a directory", "a path under a file", "a CSV file"])
async def test_a_journal_path_that_cannot_be_a_journal_is_a_clear_error(
    tmp_path: Path, where: str
) -> None:
    csv_file = tmp_path / "people.csv"
    csv_file.write_text("phone\n+447989987123\n")
    path = {
        "a directory": tmp_path,
        "a path under a file": csv_file / "job.sqlite",
        "a CSV file": csv_file,
    }[where]
    sb = Sandbox(seed=1)
    async with sb.client() as cs:
        with pytest.raises(InvalidRequestError, match="journal"):
            await cs.sms.send_bulk(numbers(2), "hi", journal=path)
    assert sb.ledger == []
    assert csv_file.read_text() == "phone\n+447989987123\n"


async def test_a_misspelt_option_is_refused_by_name_before_anything_is_sent() -> None:
    sb = Sandbox(seed=1)
    async with sb.client() as cs:
        with pytest.raises(InvalidRequestError, match="'concurency'"):
            await cs.sms.send_bulk(numbers(3), "hi", concurency=4)  # type: ignore[call-arg]
        with pytest.raises(InvalidRequestError, match="'jurnal'"):
            cs.whatsapp.send_bulk_iter("uid", numbers(3), "hi", jurnal="x")  # type: ignore[call-arg]
    assert sb.ledger == []


async def test_a_job_store_object_is_used_as_the_journal(tmp_path: Path) -> None:
    from callsavvy_async.bulk import SQLiteJournal

    sb = Sandbox(seed=1)
    store = SQLiteJournal(tmp_path / "job.sqlite")
    async with sb.client() as cs:
        first = await cs.sms.send_bulk(numbers(250), "hi", journal=store)
        again = await cs.sms.send_bulk(numbers(250), "hi", journal=tmp_path / "job.sqlite")
    assert (first.sent + first.queued, again.skipped, len(sb.ledger)) == (250, 250, 250)


async def test_the_dry_run_counts_like_a_send_and_sends_nothing() -> None:
    from callsavvy_async.bulk import preview_bulk

    source = [*numbers(95), *numbers(5), "nope", "+44 7900 000001"]
    preview = await preview_bulk(source, batch_size=30)
    assert (preview.read, preview.valid, preview.invalid) == (102, 95, 1)
    assert (preview.duplicate, preview.batches) == (6, 4)
