"""Injected faults as the SDK sees them (error class, retry or not, what the ledger says),
their determinism under a seed, and the ledger under bulk-sized traffic."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import httpx
import pytest

from callsavvy_async import (
    APIConnectionError,
    APITimeoutError,
    AsyncCallsavvy,
    OutcomeUnknownError,
    RateLimitError,
    ServerError,
)
from callsavvy_async._pipeline import _retry
from callsavvy_async.sandbox import Sandbox

pytestmark = pytest.mark.anyio


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox(seed=3)


@pytest.fixture
async def cs(sb: Sandbox) -> AsyncIterator[AsyncCallsavvy]:
    async with sb.client() as client:
        yield client


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Backoff waits the client asked for, without waiting."""
    recorded: list[float] = []

    async def record(delay: float) -> None:
        recorded.append(delay)

    monkeypatch.setattr(_retry, "sleep", record)
    return recorded


def numbers(count: int, start: int = 0) -> list[str]:
    return [f"+4477009{n:05d}" for n in range(start, start + count)]


async def test_5xx_reads_are_retried(sb: Sandbox, cs: AsyncCallsavvy, sleeps: list[float]) -> None:
    sb.inject(server_error_rate=1.0)
    with pytest.raises(ServerError) as failed:
        await cs.agents.list()
    assert failed.value.status_code in (500, 502, 503)
    assert sb.requests["getAgents"] == 3
    assert len(sleeps) == 2


async def test_5xx_writes_are_outcome_unknown_and_not_resent(
    sb: Sandbox, cs: AsyncCallsavvy, sleeps: list[float]
) -> None:
    sb.inject("sendSMS", server_error_rate=1.0)
    with pytest.raises(OutcomeUnknownError) as unknown:
        await cs.sms.send("+447700900123", "hi")
    assert isinstance(unknown.value.__cause__, ServerError)
    assert sb.requests["sendSMS"] == 1
    assert sleeps == []
    assert sb.ledger == []


async def test_5xx_answers_vary_between_json_and_proxy_pages(sb: Sandbox) -> None:
    sb.inject(server_error_rate=1.0)
    seen = {}
    async with httpx.AsyncClient(transport=sb.transport()) as http:
        for _ in range(30):
            response = await http.post(f"{sb.BASE_URL}/getSummary", json={})
            seen[response.status_code] = response.headers["content-type"]
    assert set(seen) == {500, 502, 503}
    assert seen[500] == "application/json"
    assert seen[502].startswith("text/html")


async def test_429_is_retried_after_retry_after(sb: Sandbox, sleeps: list[float]) -> None:
    sb.inject("sendWhatsapp", rate_limit_rate=0.5, retry_after=4)
    async with sb.client(max_retries=10) as cs:
        for start in range(0, 300, 30):
            await cs.whatsapp.send("uid", numbers(30, start), "hi")
    assert len(sb.ledger) == 300
    assert len({entry.recipient for entry in sb.ledger}) == 300
    assert sleeps and set(sleeps) == {4.0}
    assert sb.requests["sendWhatsapp"] == 10 + len(sleeps)


async def test_429_beyond_the_retries_is_a_rate_limit_error(
    sb: Sandbox, cs: AsyncCallsavvy, sleeps: list[float]
) -> None:
    sb.inject("getCalls", rate_limit_rate=1.0, retry_after=2.5)
    with pytest.raises(RateLimitError) as limited:
        await cs.calls.list()
    assert limited.value.retry_after == 2.5
    assert sleeps == [2.5, 2.5]


@pytest.mark.parametrize(
    ("kind", "cause"), [("disconnect", httpx.RemoteProtocolError), ("timeout", httpx.ReadTimeout)]
)
async def test_a_lost_answer_to_a_write_is_processed_but_unknown(
    sb: Sandbox,
    cs: AsyncCallsavvy,
    sleeps: list[float],
    kind: str,
    cause: type[Exception],
) -> None:
    sb.inject("sendSMS", lost_answer_rate=1.0, lost_answer=kind)  # type: ignore[arg-type]
    before = sb.state.balances["sms_balance"]
    with pytest.raises(OutcomeUnknownError) as unknown:
        await cs.sms.send(["+447700900123", "+447700900124"], "hi")
    assert isinstance(unknown.value.__cause__, cause)
    assert [entry.recipient for entry in sb.ledger] == ["+447700900123", "+447700900124"]
    assert sb.state.balances["sms_balance"] == before - 2
    assert sb.requests["sendSMS"] == 1
    assert sleeps == []


async def test_a_lost_answer_to_a_read_is_retried(sb: Sandbox, sleeps: list[float]) -> None:
    sb.inject("getAgents", lost_answer_rate=0.5)
    async with sb.client(max_retries=20) as cs:
        for _ in range(6):
            assert await cs.agents.list()
    assert sb.requests["getAgents"] == 6 + len(sleeps)
    assert sleeps


@pytest.mark.parametrize(
    ("kind", "error"), [("disconnect", APIConnectionError), ("timeout", APITimeoutError)]
)
async def test_a_lost_answer_to_a_read_without_retries(
    sb: Sandbox, kind: str, error: type[Exception]
) -> None:
    sb.inject("getSummary", lost_answer_rate=1.0, lost_answer=kind)  # type: ignore[arg-type]
    async with sb.client(max_retries=0) as cs:
        with pytest.raises(error) as failed:
            await cs.account.summary()
    assert not isinstance(failed.value, OutcomeUnknownError)


async def test_faults_apply_per_resource_and_clear(
    sb: Sandbox, cs: AsyncCallsavvy, sleeps: list[float]
) -> None:
    sb.inject(server_error_rate=1.0)
    sb.inject("getAgents")
    assert await cs.agents.list()
    with pytest.raises(ServerError):
        await cs.departments.list()
    sb.clear_faults()
    assert await cs.departments.list()


async def test_latency_fixed_and_ranged(sb: Sandbox, cs: AsyncCallsavvy) -> None:
    sb.inject("getSummary", latency=0.05)
    sb.inject("getAgents", latency=(0.02, 0.04))
    started = anyio.current_time()
    await cs.account.summary()
    middle = anyio.current_time()
    await cs.agents.list()
    ended = anyio.current_time()
    await cs.categories.list()
    assert middle - started >= 0.05
    assert 0.02 <= ended - middle < 0.5
    assert anyio.current_time() - ended < 0.05


async def test_faults_are_deterministic_under_a_seed(sleeps: list[float]) -> None:
    async def outcomes(seed: int) -> list[str]:
        sb = Sandbox(seed=seed)
        sb.inject("sendSMS", server_error_rate=0.3, lost_answer_rate=0.3, rate_limit_rate=0.1)
        run = []
        async with sb.client(max_retries=0) as cs:
            for number in numbers(40):
                try:
                    run.append((await cs.sms.send(number, "hi")).status or "")
                except (OutcomeUnknownError, RateLimitError) as exc:
                    run.append(type(exc.__cause__ or exc).__name__)
        return run

    first = await outcomes(5)
    assert first == await outcomes(5)
    assert first != await outcomes(6)
    assert {"sent", "ServerError", "RemoteProtocolError", "RateLimitError"} <= set(first)


async def test_faults_do_not_change_the_records(sleeps: list[float]) -> None:
    quiet, faulty = Sandbox(seed=9), Sandbox(seed=9)
    faulty.inject("getSummary", server_error_rate=0.5)
    async with quiet.client() as a, faulty.client(max_retries=10) as b:
        for _ in range(5):
            await b.account.summary()
        assert await a.tickets.list() == await b.tickets.list()
        assert (await a.sms.send(numbers(3), "hi")).message_id == (
            await b.sms.send(numbers(3), "hi")
        ).message_id


async def test_the_ledger_holds_every_recipient_of_concurrent_bulk_traffic(
    sb: Sandbox, cs: AsyncCallsavvy
) -> None:
    recipients = numbers(10_020)
    limiter = anyio.Semaphore(16)

    async def send(batch: list[str]) -> None:
        async with limiter:
            await cs.whatsapp.send("uid", batch, "Flash sale")

    async with anyio.create_task_group() as tasks:
        for start in range(0, len(recipients), 30):
            tasks.start_soon(send, recipients[start : start + 30])
    assert sb.requests["sendWhatsapp"] == 334
    assert len(sb.ledger) == 10_020
    assert sorted(entry.recipient for entry in sb.ledger) == recipients
    assert len({entry.message_id for entry in sb.ledger}) == 334
    assert {entry.channel for entry in sb.ledger} == {"whatsapp"}
