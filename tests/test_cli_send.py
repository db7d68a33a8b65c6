"""`callsavvy send` against a sandbox served on 127.0.0.1: exit codes, --json,
--problems, the options the Python API has, progress, and the journal's messages."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console

from callsavvy_async._cli import progress as progress_module
from callsavvy_async._cli.progress import SendProgress
from callsavvy_async.bulk import BulkReport
from callsavvy_async.sandbox import Sandbox
from tests.cli_helpers import KEYS, assert_one_line_error, invoke, report_rows, served_sandbox

NUMBERS = [f"+4477009{n:05d}" for n in range(40)]


def sms(*args: str, env: dict[str, str]) -> object:
    return invoke("send", "sms", "-m", "hi", *args, env=env)


def test_refused_keys_exit_3_before_any_progress_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress_module, "LINE_INTERVAL", 0.0)
    with served_sandbox() as (_, env):
        result = sms("--to", ",".join(NUMBERS), env={**env, "CALLSAVVY_PUBLIC_KEY": "nope"})
    assert_one_line_error(result, 3)
    assert "Invalid API credentials" in result.stderr
    assert "progress" not in result.output


def test_a_send_where_every_recipient_is_invalid_exits_1() -> None:
    with served_sandbox() as (box, env):
        result = sms("--to", "bad,worse", env=env)
        dry = sms("--to", "bad,worse", "--dry-run", env=env)
    assert result.exit_code == 1, result.output
    assert report_rows(result.stdout)["invalid"] == "2"
    assert dry.exit_code == 1
    assert "no valid recipient" in dry.stderr
    preview = json.loads(sms("--to", "bad,+447700900001", "--dry-run", "--json", env=KEYS).stdout)
    assert preview == {"read": 2, "valid": 1, "invalid": 1, "duplicate": 0, "batches": 1}
    assert box.ledger == []


def test_json_prints_the_report_as_one_object_with_bulk_reports_fields() -> None:
    with served_sandbox() as (_, env):
        result = sms("--to", ",".join([*NUMBERS, NUMBERS[0], "bad"]), "--json", env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    fields = {"sent", "queued", "failed", "unknown", "invalid", "duplicate", "skipped"}
    assert fields | {"batches", "cost", "elapsed", "errors"} == set(report)
    assert report["sent"] + report["queued"] == 40
    assert (report["invalid"], report["duplicate"], report["batches"]) == (1, 1, 1)
    assert Decimal(report["cost"]) == 40


def test_problems_lists_every_problem_as_csv_and_the_report_counts_the_rest(
    tmp_path: Path,
) -> None:
    sb = Sandbox()
    sb.inject("sendSMS", server_error_rate=1.0)
    problems = tmp_path / "problems.csv"
    with served_sandbox(sb) as (_, env):
        to = ",".join([*NUMBERS, "bad"])
        result = sms("--to", to, "--batch-size", "10", "--problems", str(problems), env=env)
    assert result.exit_code == 1
    with problems.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["recipient", "outcome", "reason"]
    assert sorted(row[0] for row in rows[1:]) == sorted([*NUMBERS, "bad"])
    assert {row[1] for row in rows[1:]} == {"unknown", "invalid"}
    assert all(row[2] for row in rows[1:])
    shown = [line for line in result.stdout.splitlines() if line.startswith("  +")]
    assert len(shown) == 5
    assert f"and 36 more problems (all are in {problems})" in result.stdout


@pytest.mark.parametrize("option", [["--resend-unknown"], ["--job-id", "spring"]])
def test_journal_options_without_a_journal_exit_2(option: list[str]) -> None:
    result = sms("--to", NUMBERS[0], *option, env=KEYS)
    assert_one_line_error(result, 2)
    assert "--journal" in result.stderr


def test_resend_unknown_and_job_id_resume_a_journal(tmp_path: Path) -> None:
    sb = Sandbox()
    sb.inject("sendSMS", server_error_rate=1.0)
    journal = ["--journal", str(tmp_path / "job.sqlite"), "--job-id", "spring"]
    with served_sandbox(sb) as (box, env):
        first = sms("--to", ",".join(NUMBERS), *journal, env=env)
        box.clear_faults()
        kept = invoke(
            "send", "sms", "-m", "other text", "--to", ",".join(NUMBERS), *journal, env=env
        )
        resent = sms("--to", ",".join(NUMBERS), *journal, "--resend-unknown", env=env)
    assert report_rows(first.stdout)["unknown"] == "40"
    assert kept.exit_code == 1
    assert (report_rows(kept.stdout)["unknown"], report_rows(kept.stdout)["sent"]) == ("40", "0")
    assert resent.exit_code == 0, resent.output
    assert int(report_rows(resent.stdout)["sent"]) + int(report_rows(resent.stdout)["queued"]) == 40
    assert sorted(e.recipient for e in box.ledger) == NUMBERS


def test_strict_numbers_refuses_numbers_of_no_country() -> None:
    with served_sandbox() as (box, env):
        loose = sms("--to", "+99912345678", "--dry-run", env=env)
        strict = sms("--to", "+99912345678,+447911123456", "--strict-numbers", env=env)
    assert loose.exit_code == 0
    assert report_rows(loose.stdout)["valid"] == "1"
    assert report_rows(strict.stdout)["invalid"] == "1"
    assert [e.recipient for e in box.ledger] == ["+447911123456"]


def test_plain_progress_shows_the_total_and_agrees_in_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progress_module, "LINE_INTERVAL", 0.0)
    path = tmp_path / "list.csv"
    path.write_text("phone\n" + "\n".join(NUMBERS) + "\n")
    with served_sandbox() as (_, env):
        many = sms("-f", str(path), "--batch-size", "10", "--concurrency", "1", env=env)
        one = sms("--to", NUMBERS[0], env=env)
    lines = [line for line in many.stderr.splitlines() if line.startswith("progress:")]
    assert lines, many.output
    assert lines[-1].startswith("progress: 40 of 40 recipients (100%")
    assert any("of 40 recipients (25%" in line for line in lines)
    assert "progress: 1 of 1 recipient (100%" in one.stderr
    assert "recipients done, 0 sent" not in many.stderr


def test_the_bar_on_a_terminal_shows_total_percentage_and_eta() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    progress = SendProgress(console, interactive=True)
    assert out.getvalue() == ""
    progress.set_total(200)
    progress(BulkReport(sent=50))
    progress._bar.refresh()  # type: ignore[union-attr]
    progress.close()
    text = out.getvalue()
    assert "50/200" in text
    assert "25%" in text
    assert "-:--:--" in text  # the ETA column, before a rate is known


def test_a_journal_held_by_another_job_says_so(tmp_path: Path) -> None:
    import anyio.from_thread

    from callsavvy_async.bulk import SQLiteJournal

    path = tmp_path / "job.sqlite"
    holder = SQLiteJournal(path).session("sms:job:one", resend_unknown=False)

    async def try_open(identity: str) -> str:
        try:
            async with SQLiteJournal(path).session(identity, resend_unknown=False):
                return "opened"
        except Exception as exc:
            return str(exc)

    with (
        anyio.from_thread.start_blocking_portal() as portal,
        portal.wrap_async_context_manager(holder),
    ):
        same = portal.call(try_open, "sms:job:one")
        with served_sandbox() as (_, env):
            args = ["--to", NUMBERS[0], "--journal", str(path), "--job-id", "two"]
            other = sms(*args, env=env)
    assert "another run of this job" in same
    assert_one_line_error(other, 2)
    assert "a running job with a different channel, uid, message or job_id" in other.stderr
    assert "another run of this job" not in other.stderr
