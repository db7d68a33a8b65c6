"""Callsavvy, the sync client: the same resources on one loop thread, safe to share
between threads, raw views, options, bulk sends with a journal, and Ctrl-C."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from collections import Counter
from pathlib import Path

import pytest

from callsavvy_async import AccountSummary, Callsavvy, InvalidRequestError, RawResponse
from callsavvy_async.bulk import BulkReport, JournalInUseError
from callsavvy_async.sandbox import Sandbox

NUMBERS = [f"+4479000{n:05d}" for n in range(120)]


def sync_client(sandbox: Sandbox, **options: object) -> Callsavvy:
    return Callsavvy.wrap(sandbox.client(**options))


def test_calls_block_and_return_the_models() -> None:
    with sync_client(Sandbox()) as cs:
        summary = cs.account.summary()
        raw = cs.with_raw_response.account.summary(timeout=5)
        assert isinstance(summary, AccountSummary)
        assert isinstance(raw, RawResponse)
        assert raw.status_code == 200
        assert raw.parse() == summary
        with pytest.raises(InvalidRequestError):
            cs.account.summary(timeot=1)  # type: ignore[call-arg]


def test_the_constructor_takes_the_async_clients_arguments() -> None:
    sandbox = Sandbox()
    with Callsavvy(
        public_key="TEST-public",
        private_key="TEST-secret-key",
        base_url="http://sandbox.test/v1",
        transport=sandbox.transport(),
        max_retries=0,
        default_headers={"X-Team": "crm"},
    ) as cs:
        assert (cs.max_retries, cs.base_url) == (0, "http://sandbox.test/v1")
        assert "TEST-secret-key" not in repr(cs)
    with pytest.raises(InvalidRequestError, match="too short"):
        Callsavvy(public_key="pk", private_key="short")


def test_with_options_shares_the_loop_and_pool_and_leaves_them_open() -> None:
    cs = sync_client(Sandbox())
    fast = cs.with_options(max_retries=0, timeout=2)
    assert fast.http_client is cs.http_client
    assert (fast.max_retries, cs.max_retries) == (0, 2)
    fast.close()
    assert cs.agents.list()
    cs.close()
    assert cs.http_client.is_closed


def test_one_client_shared_by_many_threads() -> None:
    sandbox = Sandbox()
    results: list[int] = []
    with sync_client(sandbox) as cs:

        def work(index: int) -> None:
            result = cs.sms.send(NUMBERS[index], f"hello {index}")
            results.append(0 if result.status else 1)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert results == [0] * 16
    assert sorted(entry.recipient for entry in sandbox.ledger) == sorted(NUMBERS[:16])


def test_bulk_sends_with_journals_from_two_threads(tmp_path: Path) -> None:
    """Two threads share one client: two jobs with their own journals both finish, and
    the same job started twice at once never sends anybody twice."""
    sandbox = Sandbox()
    sandbox.inject(latency=0.01)
    outcomes: list[BulkReport | Exception] = []
    with sync_client(sandbox) as cs:

        def send(numbers: list[str], message: str, journal: Path) -> None:
            try:
                outcomes.append(
                    cs.sms.send_bulk(numbers, message, batch_size=10, journal=str(journal))
                )
            except JournalInUseError as exc:
                outcomes.append(exc)

        runs = [
            (NUMBERS[:60], "first", tmp_path / "first.sqlite"),
            (NUMBERS[60:], "second", tmp_path / "second.sqlite"),
            (NUMBERS[60:], "second", tmp_path / "second.sqlite"),
        ]
        threads = [threading.Thread(target=send, args=run) for run in runs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    per_recipient = Counter(entry.recipient for entry in sandbox.ledger)
    assert set(per_recipient) == set(NUMBERS)
    assert max(per_recipient.values()) == 1
    reports = [o for o in outcomes if isinstance(o, BulkReport)]
    assert len(outcomes) == 3
    assert sum(r.sent + r.queued for r in reports) == len(NUMBERS)


CTRL_C = textwrap.dedent(
    """
    import json, os, signal, sys
    from callsavvy_async import Callsavvy
    from callsavvy_async.sandbox import Sandbox

    journal = sys.argv[1]
    numbers = [f"+4479000{n:05d}" for n in range(400)]
    sandbox = Sandbox()
    sandbox.inject(latency=0.2)
    seen = []

    def interrupt_once(report):
        if report.batches and not seen:
            seen.append(report.batches)
            os.kill(os.getpid(), signal.SIGINT)

    with Callsavvy.wrap(sandbox.client(max_connections=8)) as cs:
        try:
            cs.sms.send_bulk(numbers, "hi", batch_size=10, concurrency=4, journal=journal,
                             on_progress=interrupt_once)
            print(json.dumps({"interrupted": False}))
            raise SystemExit
        except KeyboardInterrupt:
            pass
        first = len(sandbox.ledger)
        again = cs.sms.send_bulk(numbers, "hi", batch_size=10, concurrency=4, journal=journal)
    print(json.dumps({
        "interrupted": True,
        "first": first,
        "unknown": again.unknown,
        "skipped": again.skipped,
        "sent": again.sent,
        "ledger": len(sandbox.ledger),
        "distinct": len({e.recipient for e in sandbox.ledger}),
    }))
    """
)


def test_ctrl_c_during_a_bulk_send_settles_the_batches_in_flight(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", CTRL_C, str(tmp_path / "job.sqlite")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["interrupted"]
    assert 0 < outcome["first"] < 400  # stopped part way
    assert outcome["unknown"] == 0  # every batch in flight at Ctrl-C settled
    assert outcome["skipped"] == outcome["first"]
    assert outcome["ledger"] == outcome["distinct"] == 400
