"""A bulk job killed with SIGKILL and re-run on its journal: nobody is messaged twice."""

from __future__ import annotations

import json
import signal
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import anyio
import pytest

from callsavvy_async.sandbox import Sandbox, serving
from tests.bulk_child import numbers

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent
COUNT = 1_500
BATCH, CONCURRENCY = 30, 4


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def run_child(url: str, journal: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "tests.bulk_child", url, str(journal), str(COUNT)]
    with anyio.fail_after(60):
        result = await anyio.run_process(command, cwd=ROOT)
    counts: dict[str, Any] = json.loads(result.stdout)
    return counts


async def kill_mid_job(sb: Sandbox, url: str, journal: Path) -> None:
    command = [sys.executable, "-m", "tests.bulk_child", url, str(journal), str(COUNT)]
    async with await anyio.open_process(command, cwd=ROOT) as process:
        with anyio.fail_after(30):
            while len(sb.ledger) < COUNT // 4:  # noqa: ASYNC110 - polling another process
                await anyio.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        await process.wait()
    assert process.returncode == -signal.SIGKILL


async def test_killed_job_resumes_without_duplicates(tmp_path: Path) -> None:
    journal = tmp_path / "job.sqlite"
    sb = Sandbox()
    sb.inject("sendWhatsapp", latency=(0.005, 0.02))
    async with serving(sb) as url:
        await kill_mid_job(sb, url, journal)
        at_kill = len(sb.ledger)
        assert at_kill < COUNT
        second = await run_child(url, journal)
        after_second = len(sb.ledger)
        third = await run_child(url, journal)

    ledger = Counter(entry.recipient for entry in sb.ledger)
    assert max(ledger.values()) == 1, "someone was messaged twice"
    unknown = set(second["unknown_recipients"])
    assert len(unknown) == second["unknown"] <= BATCH * CONCURRENCY
    assert set(ledger) | unknown == set(numbers(COUNT))
    assert second["skipped"] + second["unknown"] + second["sent"] + second["queued"] == COUNT
    assert len(sb.ledger) == after_second
    assert third["sent"] + third["queued"] + third["batches"] == 0
    assert third["skipped"] + third["unknown"] == COUNT
