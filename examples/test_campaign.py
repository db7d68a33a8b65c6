"""Testing your own campaign code against the sandbox: no account, no network.

    pytest examples/test_campaign.py

The campaign and the webhook app below stand for code in your own package. The sandbox
is the whole API in memory: `sb.ledger` lists every message it accepted, `sb.inject()`
adds faults (the same ones for the same seed), and `post_event` delivers a sample
webhook event to an ASGI app in-process.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from callsavvy_async import AsyncCallsavvy
from callsavvy_async.bulk import BulkReport
from callsavvy_async.sandbox import Sandbox
from callsavvy_async.testing import post_event
from callsavvy_async.webhooks import CallSummary, WebhookApp

CUSTOMERS = [f"+4477009{n:05d}" for n in range(200)]


async def spring_sale(cs: AsyncCallsavvy, customers: list[str], journal: Path) -> BulkReport:
    return await cs.whatsapp.send_bulk("sale-channel", customers, "Spring sale!", journal=journal)


def call_log(durations: list[int]) -> WebhookApp:
    webhooks = WebhookApp(token="s3cret")

    @webhooks.on(CallSummary)
    async def summary(event: CallSummary) -> None:
        durations.append(event.call_duration or 0)

    return webhooks


@pytest.fixture(params=["asyncio", "trio"])  # keep the event loops your code runs on
def anyio_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.anyio
async def test_everyone_gets_the_sale_once(tmp_path: Path) -> None:
    sb = Sandbox(seed=1)
    async with sb.client() as cs:
        report = await spring_sale(cs, CUSTOMERS + CUSTOMERS[:10], tmp_path / "sale.sqlite")
    assert report.sent + report.queued == 200
    assert report.duplicate == 10
    assert sorted(entry.recipient for entry in sb.ledger) == CUSTOMERS


@pytest.mark.anyio
async def test_lost_answers_are_never_resent(tmp_path: Path) -> None:
    sb = Sandbox(seed=2)
    sb.inject("sendWhatsapp", lost_answer_rate=0.5)  # processed, then the connection drops
    journal = tmp_path / "sale.sqlite"
    async with sb.client() as cs:
        first = await spring_sale(cs, CUSTOMERS, journal)
        sb.clear_faults()
        second = await spring_sale(cs, CUSTOMERS, journal)  # the re-run after a crash
    assert first.unknown > 0
    assert second.unknown + second.skipped == 200
    recipients = [entry.recipient for entry in sb.ledger]
    assert sorted(recipients) == CUSTOMERS  # every customer once, nobody twice


@pytest.mark.anyio
async def test_call_summaries_are_logged() -> None:
    durations: list[int] = []
    app = call_log(durations)
    answer = await post_event(app, "callSummary", path="/?token=s3cret", call_duration="42")
    refused = await post_event(app, "callSummary", path="/?token=wrong", call_duration="7")
    assert (answer.status_code, refused.status_code) == (200, 401)
    assert durations == [42]
