"""Send one WhatsApp message to everyone in a CSV file, with a journal and a progress bar.

    export CALLSAVVY_PUBLIC_KEY=... CALLSAVVY_PRIVATE_KEY=...
    python examples/bulk_whatsapp_csv.py customers.csv --uid CHANNEL-UID -m "Sale today!"

The CSV has a `phone` column (or the numbers in its first column). Run it again with the
same `--journal` after a crash or Ctrl-C: nothing already sent is sent again. The
progress bar is Rich's (the `cli` extra).
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import anyio
from rich.progress import Progress

from callsavvy_async import AsyncCallsavvy
from callsavvy_async.bulk import BulkReport


def count_rows(path: Path) -> int:
    """Data rows in the CSV (its first row is the header), for the bar's total."""
    with path.open(newline="", encoding="utf-8") as file:
        return max(0, sum(1 for row in csv.reader(file) if row) - 1)


async def send(path: Path, uid: str, message: str, journal: Path) -> BulkReport:
    async with AsyncCallsavvy() as cs:  # keys and base URL from CALLSAVVY_* variables
        with Progress() as progress:
            bar = progress.add_task("Sending", total=count_rows(path))

            def on_progress(report: BulkReport) -> None:
                progress.update(bar, completed=report.total)

            return await cs.whatsapp.send_bulk(
                uid, path, message, concurrency=8, journal=journal, on_progress=on_progress
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", type=Path)
    parser.add_argument("--uid", required=True, help="the WhatsApp channel's uid")
    parser.add_argument("-m", "--message", required=True)
    parser.add_argument("--journal", type=Path, default=Path("whatsapp-job.sqlite"))
    args = parser.parse_args()
    report = anyio.run(send, args.csv, args.uid, args.message, args.journal)
    print(
        f"sent {report.sent}, queued {report.queued}, failed {report.failed}, "
        f"unknown {report.unknown}, invalid {report.invalid}, "
        f"duplicate {report.duplicate}, skipped {report.skipped}"
    )
    for problem in report.problems():
        print(f"  {problem.recipient}: {problem.outcome} ({problem.reason})")
    return 1 if report.failed or report.unknown else 0


if __name__ == "__main__":
    raise SystemExit(main())
