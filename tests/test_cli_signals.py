"""Ctrl-C and SIGTERM stop a real `callsavvy send` gracefully: no new batches, in-flight
batches settle, the partial report is printed, the exit code is 130 or 143, and a re-run
on the journal finds nothing unknown and sends everyone exactly once."""

from __future__ import annotations

import os
import signal
import sys
from collections import Counter
from pathlib import Path

import anyio
import pytest

from callsavvy_async.sandbox import Sandbox, serving
from tests.cli_helpers import KEYS, callsavvy, clean_env, report_rows


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("signum", "code", "word"),
    [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")],
    ids=["SIGTERM", "SIGINT"],
)
async def test_a_signal_settles_in_flight_batches_and_prints_the_partial_report(
    tmp_path: Path, signum: int, code: int, word: str
) -> None:
    numbers = [f"+4477009{n:05d}" for n in range(3_000)]
    path = tmp_path / "list.txt"
    path.write_text("\n".join(numbers))
    journal = tmp_path / "job.sqlite"
    sb = Sandbox()
    sb.inject("sendWhatsapp", latency=0.2)
    args = ["send", "whatsapp", "--uid", "u", "-m", "hi", "-f", str(path)]
    args += ["--journal", str(journal), "--concurrency", "16"]
    async with serving(sb) as base_url:
        env = clean_env({**KEYS, "CALLSAVVY_BASE_URL": base_url})
        command = [sys.executable, "-m", "callsavvy_async", *args]
        async with await anyio.open_process(command, env=env, start_new_session=True) as process:
            with anyio.fail_after(30):
                while len(sb.ledger) < 300:  # noqa: ASYNC110 - polling another process
                    await anyio.sleep(0.02)
            os.killpg(process.pid, signum)
            assert process.stdout is not None and process.stderr is not None
            output = b"".join([chunk async for chunk in process.stdout]).decode()
            messages = b"".join([chunk async for chunk in process.stderr]).decode()
            with anyio.fail_after(30):
                await process.wait()
        stopped_at = len(sb.ledger)
        sb.clear_faults()
        rerun = await anyio.to_thread.run_sync(lambda: callsavvy(*args, env=env))
    assert process.returncode == code, messages
    assert word in messages
    assert "Traceback" not in messages
    partial = report_rows(output)
    assert int(partial["sent"]) + int(partial["queued"]) == stopped_at
    assert partial["unknown"] == "0"
    assert stopped_at < 3_000
    assert rerun.returncode == 0, rerun.stderr
    again = report_rows(rerun.stdout)
    assert again["unknown"] == "0"
    assert int(again["skipped"]) == stopped_at
    ledger = Counter(e.recipient for e in sb.ledger)
    assert max(ledger.values()) == 1
    assert set(ledger) == set(numbers)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "SIGINT"]
)
async def test_a_signal_stops_a_read_with_one_line_and_its_exit_code(
    signum: int, code: int
) -> None:
    sb = Sandbox()
    sb.inject("getAgents", latency=2)
    async with serving(sb) as base_url:
        env = clean_env({**KEYS, "CALLSAVVY_BASE_URL": base_url})
        command = [sys.executable, "-m", "callsavvy_async", "list", "agents"]
        async with await anyio.open_process(command, env=env, start_new_session=True) as process:
            with anyio.fail_after(30):
                while not sb.requests["getAgents"]:  # noqa: ASYNC110 - polling another process
                    await anyio.sleep(0.02)
            os.killpg(process.pid, signum)
            with anyio.fail_after(10):
                await process.wait()
            assert process.stderr is not None
            messages = b"".join([chunk async for chunk in process.stderr]).decode()
    assert process.returncode == code
    assert [line for line in messages.splitlines() if line.strip()] == [
        ("terminated (SIGTERM)" if code == 143 else "interrupted") + ": stopped before finishing"
    ]
