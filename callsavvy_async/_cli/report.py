"""A bulk send's report for people (a table and the first problems), for machines (one
JSON object with BulkReport's fields) and as a CSV of every problem; and its exit code."""

from __future__ import annotations

import csv
import json
from itertools import islice
from pathlib import Path

import attrs
from rich.console import Console
from rich.table import Table

from callsavvy_async._cli.runner import EXIT_FAILED, EXIT_OK
from callsavvy_async.bulk import BulkReport, Preview

__all__ = [
    "COUNTS",
    "SHOWN_PROBLEMS",
    "exit_code",
    "plural",
    "preview_json",
    "preview_table",
    "print_problems",
    "report_json",
    "report_table",
    "write_problems",
]

COUNTS = ("sent", "queued", "failed", "unknown", "invalid", "duplicate", "skipped")
SHOWN_PROBLEMS = 5
PROBLEM_COLUMNS = ("recipient", "outcome", "reason")


def plural(count: int, noun: str, many: str | None = None) -> str:
    """ "1 recipient", "2 recipients" (thousands separated)."""
    return f"{count:,} {noun if count == 1 else many or noun + 's'}"


def exit_code(report: BulkReport) -> int:
    """1 when recipients failed or are unknown, or when nothing could be sent (every
    recipient invalid); 0 otherwise, including a re-run that finds everything done."""
    if report.failed or report.unknown:
        return EXIT_FAILED
    if not (report.sent or report.queued or report.skipped):
        return EXIT_FAILED
    return EXIT_OK


def report_table(report: BulkReport) -> Table:
    """The bulk report as a two-column table: recipients read, then by outcome."""
    table = Table(title="Report", title_justify="left", show_header=False)
    table.add_column("outcome", style="bold")
    table.add_column("recipients", justify="right")
    table.add_row("read", str(report.total))
    for name in COUNTS:
        table.add_row(name, str(getattr(report, name)))
    table.add_row("batches", str(report.batches))
    table.add_row("cost", str(report.cost))
    table.add_row("elapsed", f"{report.elapsed:.1f} s")
    return table


def report_json(report: BulkReport) -> str:
    """BulkReport's fields as one JSON object; cost is a decimal string, as in `list --json`."""
    fields = {
        field.name: getattr(report, field.name)
        for field in attrs.fields(BulkReport)
        if not field.name.startswith("_")
    }
    fields["cost"] = str(fields["cost"])
    fields["elapsed"] = round(fields["elapsed"], 3)
    return json.dumps(fields, ensure_ascii=False)


def _problem_count(report: BulkReport) -> int:
    return report.failed + report.unknown + report.invalid


def print_problems(console: Console, report: BulkReport, problems_file: Path | None) -> None:
    """The first few problems, one a line, and how many were not shown."""
    total = _problem_count(report)
    shown = 0
    for problem in islice(report.problems(), SHOWN_PROBLEMS):
        shown += 1
        line = f"  {problem.recipient} {problem.outcome}: {problem.reason}"
        console.print(line, highlight=False, markup=False, soft_wrap=True)
    if total > shown:
        where = f"all are in {problems_file}" if problems_file else "--problems FILE lists them all"
        console.print(
            f"  and {plural(total - shown, 'more problem')} ({where})",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )


def write_problems(path: Path, report: BulkReport) -> int:
    """Every failed, unknown and invalid recipient as CSV (recipient, outcome, reason);
    returns how many were written."""
    written = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(PROBLEM_COLUMNS)
        for problem in report.problems():
            writer.writerow((problem.recipient, problem.outcome, problem.reason))
            written += 1
    return written


def preview_table(preview: Preview) -> Table:
    """A dry run's counts: read, valid, invalid, duplicate and batches."""
    table = Table(show_header=False)
    for name in ("read", "valid", "invalid", "duplicate", "batches"):
        table.add_row(name, str(getattr(preview, name)))
    return table


def preview_json(preview: Preview) -> str:
    return json.dumps(attrs.asdict(preview))
