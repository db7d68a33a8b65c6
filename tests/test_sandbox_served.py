"""The sandbox served by a real uvicorn on 127.0.0.1 and called over a socket: answers,
faults as the network shows them, webhooks to a URL, and `serve()` stopped by Ctrl-C."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import pytest
import uvicorn

from callsavvy_async import (
    AccountSummary,
    APIConnectionError,
    AsyncCallsavvy,
    AuthenticationError,
    OutcomeUnknownError,
    RateLimitError,
    ServerError,
)
from callsavvy_async._pipeline import _retry
from callsavvy_async.sandbox import TEST_PRIVATE_KEY, TEST_PUBLIC_KEY, Sandbox, serving

pytestmark = pytest.mark.anyio


def socket_client(base_url: str, **options: Any) -> AsyncCallsavvy:
    return AsyncCallsavvy(
        public_key=options.pop("public_key", TEST_PUBLIC_KEY),
        private_key=TEST_PRIVATE_KEY,
        base_url=base_url,
        **options,
    )


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []

    async def record(delay: float) -> None:
        recorded.append(delay)

    monkeypatch.setattr(_retry, "sleep", record)
    return recorded


async def test_served_on_loopback() -> None:
    sb = Sandbox()
    async with serving(sb) as base_url, socket_client(base_url) as cs:
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        summary = await cs.account.summary()
        result = await cs.whatsapp.send("uid", ["+447700900123", "+447700900124"], "hi")
        tickets = await cs.tickets.list(ticket_status="New")
        async with httpx.AsyncClient() as http:
            wrong_method = await http.get(f"{base_url}/getSummary")
    assert summary.account_status == "Active"
    assert result.status in {"sent", "queued"}
    assert tickets and {t.ticket_status for t in tickets} == {"New"}
    assert wrong_method.status_code == 405
    assert [entry.recipient for entry in sb.ledger] == ["+447700900123", "+447700900124"]
    assert sb.requests["getSummary"] == 1


async def test_wrong_keys_over_a_socket() -> None:
    sb = Sandbox()
    async with serving(sb) as base_url, socket_client(base_url, public_key="nope") as cs:
        with pytest.raises(AuthenticationError) as refused:
            await cs.account.summary()
    assert refused.value.status_code == 401


async def test_faults_over_a_socket(sleeps: list[float]) -> None:
    sb = Sandbox(lost_answer_wait=5.0)
    async with serving(sb) as base_url, socket_client(base_url, timeout=0.5) as cs:
        sb.inject("sendSMS", lost_answer_rate=1.0)
        with pytest.raises(OutcomeUnknownError) as dropped:
            await cs.sms.send("+447700900123", "hi")
        sb.inject("sendSMS", lost_answer_rate=1.0, lost_answer="timeout")
        started = anyio.current_time()
        with pytest.raises(OutcomeUnknownError) as silent:
            await cs.sms.send("+447700900124", "hi")
        waited = anyio.current_time() - started
        sb.inject("getAgents", rate_limit_rate=1.0, retry_after=7)
        sb.inject("getCategories", server_error_rate=1.0)
        with pytest.raises(RateLimitError, match="Too many requests"):
            await cs.agents.list()
        with pytest.raises(ServerError):
            await cs.categories.list()
    assert isinstance(dropped.value.__cause__, httpx.RemoteProtocolError)
    assert isinstance(silent.value.__cause__, httpx.ReadTimeout)
    assert 0.4 < waited < 3.0
    assert [entry.recipient for entry in sb.ledger] == ["+447700900123", "+447700900124"]
    assert sleeps[:2] == [7.0, 7.0]
    assert sb.requests["getCategories"] == 3


class Recorder:
    """An ASGI app keeping the bodies it receives."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        self.bodies.append((await receive()).get("body", b""))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@asynccontextmanager
async def served_app(app: Any) -> AsyncIterator[str]:
    """`app` under uvicorn on a free loopback port, on a thread; yields its URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        with anyio.fail_after(10):
            while not server.started:
                assert thread.is_alive(), "uvicorn did not start"
                await anyio.sleep(0.01)
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        await anyio.to_thread.run_sync(thread.join, 10)


async def test_webhooks_to_a_url() -> None:
    recorder = Recorder()
    async with served_app(recorder) as url:
        sb = Sandbox(webhook_target=f"{url}/callsavvy?token=s3cret")
        response = await sb.emit("newChat", None, visitor_name="Sam")
        async with serving(sb) as base_url, socket_client(base_url) as cs:
            await cs.tickets.create(
                department_id=next(iter(sb.state.departments)),
                sender_name="Jane",
                sender_email="jane@example.com",
                subject="Hello",
                message="Hi there",
            )
    assert response.status_code == 204
    chat, ticket = (json.loads(body) for body in recorder.bodies)
    assert (chat["event"], chat["visitor_name"]) == ("newChat", "Sam")
    assert (ticket["event"], ticket["ticket_subject"]) == ("newTicketOpened", "Hello")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def wait_for_summary(base_url: str, seconds: float) -> AccountSummary:
    """The summary, asked again until the server at `base_url` is up."""
    async with socket_client(base_url, max_retries=0) as cs:
        with anyio.fail_after(seconds):
            while True:
                try:
                    return await cs.account.summary()
                except APIConnectionError:
                    await anyio.sleep(0.05)


async def test_serve_runs_until_ctrl_c() -> None:
    port = free_port()
    script = (
        "from callsavvy_async.sandbox import Sandbox, serve; "
        f"serve(Sandbox(), host='127.0.0.1', port={port})"
    )
    async with await anyio.open_process(
        [sys.executable, "-c", script], stdout=None, stderr=subprocess.PIPE
    ) as process:
        try:
            summary = await wait_for_summary(f"http://127.0.0.1:{port}/v1", 15)
            process.send_signal(signal.SIGINT)
            with anyio.fail_after(10):
                await process.wait()
        finally:
            if process.returncode is None:
                process.kill()
        assert process.stderr is not None
        errors = b"".join([chunk async for chunk in process.stderr])
    assert summary.account_status == "Active"
    assert process.returncode == 0, errors.decode()
    assert b"Traceback" not in errors


async def test_inspection_paths_outside_v1() -> None:
    sb = Sandbox()
    async with serving(sb) as base_url, socket_client(base_url) as cs:
        await cs.whatsapp.send("uid", ["+447700900123", "+447700900124"], "hi")
        await cs.sms.send("+447700900125", "code 1234")
        await cs.agents.list()
        origin = base_url.removesuffix("/v1")
        async with httpx.AsyncClient(base_url=origin) as http:
            ledger = await http.get("/_sandbox/ledger")
            requests = await http.get("/_sandbox/requests")
            posted = await http.post("/_sandbox/ledger")
            unknown = await http.get("/_sandbox/nothing")
            api_named_ledger = await http.post("/v1/ledger", json={})
    assert ledger.status_code == 200
    assert ledger.json() == [
        {"channel": "whatsapp", "recipient": "+447700900123", "message": "hi"},
        {"channel": "whatsapp", "recipient": "+447700900124", "message": "hi"},
        {"channel": "sms", "recipient": "+447700900125", "message": "code 1234"},
    ]
    assert requests.json() == {"sendWhatsapp": 1, "sendSMS": 1, "getAgents": 1}
    assert posted.status_code == 405
    assert unknown.status_code == 404
    assert "/_sandbox/ledger" in unknown.json()["error"]
    assert api_named_ledger.status_code == 404
    assert sb.requests.total() == 3


async def test_deeply_nested_json_is_named_as_such() -> None:
    sb = Sandbox()
    deep = b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    headers = {
        "public-key": TEST_PUBLIC_KEY,
        "private-key": TEST_PRIVATE_KEY,
        "content-type": "application/json",
    }
    async with serving(sb) as base_url, httpx.AsyncClient() as http:
        nested = await http.post(f"{base_url}/getSummary", content=deep, headers=headers)
        broken = await http.post(f"{base_url}/getSummary", content=b"{", headers=headers)
    assert nested.status_code == 400
    assert nested.json()["message"] == "The request body is nested too deeply"
    assert broken.json()["message"] == "The request body is not valid JSON"


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"]
)
async def test_the_sandbox_command_prints_its_counts_when_stopped(signum: int, code: int) -> None:
    import os

    port = free_port()
    command = [sys.executable, "-m", "callsavvy_async", "sandbox", "--port", str(port)]
    async with await anyio.open_process(command, start_new_session=True) as process:
        try:
            base_url = f"http://127.0.0.1:{port}/v1"
            await wait_for_summary(base_url, 15)
            async with socket_client(base_url) as cs:
                await cs.sms.send("+447700900123,+447700900124", "hi")
            os.killpg(process.pid, signum)
            with anyio.fail_after(10):
                await process.wait()
        finally:
            if process.returncode is None:
                process.kill()
        assert process.stdout is not None and process.stderr is not None
        output = b"".join([chunk async for chunk in process.stdout]).decode()
        errors = b"".join([chunk async for chunk in process.stderr]).decode()
    assert process.returncode == code, errors
    assert "Traceback" not in errors
    assert "/_sandbox/ledger" in output
    served = " ".join(output.split())
    assert (
        "Served 2 requests (getSummary 1, sendSMS 1); the ledger holds 2 accepted sends." in served
    )
