"""`cs.http_client` is the one httpx.AsyncClient every call goes through, bulk sends
included: event hooks and OpenTelemetry's httpx instrumentation see each request."""

from __future__ import annotations

import httpx
import pytest
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from callsavvy_async import AsyncCallsavvy
from callsavvy_async.sandbox import BASE_URL, TEST_PRIVATE_KEY, TEST_PUBLIC_KEY, Sandbox

pytestmark = pytest.mark.anyio

NUMBERS = [f"+4479000{n:05d}" for n in range(75)]


async def test_event_hooks_of_the_http_client_see_every_call_and_bulk_batch() -> None:
    seen: list[str] = []

    async def record(request: httpx.Request) -> None:
        seen.append(request.url.path.rsplit("/", 1)[-1])

    async with Sandbox().client() as cs:
        cs.http_client.event_hooks["request"].append(record)
        await cs.account.summary()
        report = await cs.whatsapp.send_bulk("uid-1", NUMBERS, "hi", concurrency=2)
    assert report.sent == 75
    assert seen == ["getSummary"] + ["sendWhatsapp"] * 3  # 30 + 30 + 15


async def test_opentelemetry_traces_every_call_of_the_client() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    async with Sandbox().client() as cs:
        HTTPXClientInstrumentor.instrument_client(cs.http_client, tracer_provider=provider)
        try:
            await cs.agents.list()
            await cs.sms.send_bulk(NUMBERS[:10], "hello", batch_size=5)
        finally:
            HTTPXClientInstrumentor.uninstrument_client(cs.http_client)
    spans = exporter.get_finished_spans()
    urls = [str(s.attributes.get("url.full") or s.attributes.get("http.url")) for s in spans]
    assert [url.rsplit("/", 1)[-1] for url in urls] == ["getAgents", "sendSMS", "sendSMS"]


async def test_a_users_http_client_is_the_one_exposed_and_used() -> None:
    sandbox = Sandbox()
    own = httpx.AsyncClient(transport=sandbox.transport())
    async with AsyncCallsavvy(
        public_key=TEST_PUBLIC_KEY, private_key=TEST_PRIVATE_KEY, base_url=BASE_URL, http_client=own
    ) as cs:
        assert cs.http_client is own
        await cs.account.summary()
    assert not own.is_closed
    await own.aclose()
