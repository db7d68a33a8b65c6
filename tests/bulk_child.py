"""A bulk job in its own process, for the crash test: `python -m tests.bulk_child URL JOURNAL N`.

Prints the report as JSON on completion.
"""

from __future__ import annotations

import json
import sys

import anyio

from callsavvy_async import AsyncCallsavvy
from callsavvy_async.sandbox import TEST_PRIVATE_KEY, TEST_PUBLIC_KEY


def numbers(count: int) -> list[str]:
    return [f"+4479{n:08d}" for n in range(count)]


async def main(url: str, journal: str, count: int) -> None:
    async with AsyncCallsavvy(
        public_key=TEST_PUBLIC_KEY, private_key=TEST_PRIVATE_KEY, base_url=url
    ) as cs:
        report = await cs.whatsapp.send_bulk(
            "uid", numbers(count), "hello", journal=journal, concurrency=4
        )
    fields = ("sent", "queued", "failed", "unknown", "invalid", "duplicate", "skipped", "batches")
    counts = {name: getattr(report, name) for name in fields}
    counts["unknown_recipients"] = [
        p.recipient for p in report.problems() if p.outcome == "unknown"
    ]
    print(json.dumps(counts))


if __name__ == "__main__":
    anyio.run(main, sys.argv[1], sys.argv[2], int(sys.argv[3]))
