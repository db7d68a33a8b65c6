"""Construction, keys, pooling, closing, secrets and logging."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import anyio
import httpx
import pytest
import respx

from callsavvy_async import (
    APIError,
    AsyncCallsavvy,
    InvalidRequestError,
    OutcomeUnknownError,
    __version__,
)
from tests import payloads as p
from tests._loopback import server

SECRET = "sk-very-secret-private-key-123"


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CALLSAVVY_PUBLIC_KEY", "CALLSAVVY_PRIVATE_KEY", "CALLSAVVY_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("no_env")
def test_missing_keys_fail_at_construction_naming_the_variables() -> None:
    with pytest.raises(InvalidRequestError) as info:
        AsyncCallsavvy()
    message = str(info.value)
    assert "CALLSAVVY_PUBLIC_KEY" in message
    assert "CALLSAVVY_PRIVATE_KEY" in message


@pytest.mark.usefixtures("no_env")
def test_missing_private_key_only_is_named() -> None:
    with pytest.raises(InvalidRequestError, match="missing private_key"):
        AsyncCallsavvy(public_key="pk")


@pytest.mark.anyio
async def test_keys_and_base_url_from_environment(
    monkeypatch: pytest.MonkeyPatch, api: respx.MockRouter
) -> None:
    monkeypatch.setenv("CALLSAVVY_PUBLIC_KEY", "env-pk")
    monkeypatch.setenv("CALLSAVVY_PRIVATE_KEY", "env-secret")
    monkeypatch.setenv("CALLSAVVY_BASE_URL", "https://staging.example.com/v1/")
    route = api.post("https://staging.example.com/v1/getSummary").respond(
        json=p.envelope("getSummary", p.SUMMARY)
    )
    async with AsyncCallsavvy() as cs:
        assert cs.base_url == "https://staging.example.com/v1"
        await cs.account.summary()
    headers = route.calls.last.request.headers
    assert (headers["public-key"], headers["private-key"]) == ("env-pk", "env-secret")


@pytest.mark.usefixtures("no_env")
def test_explicit_arguments_beat_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALLSAVVY_BASE_URL", "https://env.example.com")
    cs = AsyncCallsavvy(
        public_key="pk", private_key="sk-secret", base_url="https://arg.example.com"
    )
    assert cs.base_url == "https://arg.example.com"
    assert cs.max_retries == 2


def test_default_base_url() -> None:
    cs = AsyncCallsavvy(public_key="pk", private_key="sk-secret", base_url=None)
    assert cs.base_url.startswith("https://")


@pytest.mark.parametrize("kwargs", [{"max_retries": -1}, {"max_connections": 0}])
def test_bad_settings_are_rejected(kwargs: dict[str, int]) -> None:
    with pytest.raises(InvalidRequestError):
        AsyncCallsavvy(public_key="pk", private_key="sk-secret", **kwargs)


@pytest.mark.anyio
async def test_own_pool_opens_at_most_max_connections() -> None:
    async with server(delay=0.05) as srv:
        base_url = srv.url.rsplit("/", 1)[0]
        async with AsyncCallsavvy(
            public_key="pk", private_key="sk-secret", base_url=base_url, max_connections=3
        ) as cs:
            assert cs.max_connections == 3
            async with anyio.create_task_group() as tg:
                for _ in range(9):
                    tg.start_soon(cs.account.summary)
    assert (srv.requests, srv.connections, srv.max_open) == (9, 3, 3)


@pytest.mark.anyio
async def test_user_http_client_is_used_and_not_closed(api: respx.MockRouter) -> None:
    route = api.post("https://api.getcallsavvy.com/v1/getAgents").respond(
        json=p.envelope("getAgents", p.AGENTS)
    )
    http = httpx.AsyncClient(headers={"X-Trace": "abc"})
    async with AsyncCallsavvy(public_key="pk", private_key=SECRET, http_client=http) as cs:
        await cs.agents.list()
    assert not http.is_closed
    request = route.calls.last.request
    assert request.headers["x-trace"] == "abc"
    assert request.headers["private-key"] == SECRET
    assert request.headers["content-type"] == "application/json"
    await http.aclose()


@pytest.mark.anyio
async def test_with_options_shares_the_pool_and_closing_it_keeps_pool_open() -> None:
    closed: list[bool] = []

    class Transport(httpx.MockTransport):
        async def aclose(self) -> None:
            closed.append(True)

    transport = Transport(lambda request: httpx.Response(200, json=p.envelope("getAgents", [])))
    cs = AsyncCallsavvy(public_key="pk", private_key="sk-secret", timeout=30, transport=transport)
    fast = cs.with_options(timeout=1.5, max_retries=0)
    assert fast.http_client is cs.http_client
    assert (fast.timeout, fast.max_retries) == (1.5, 0)
    assert (cs.timeout, cs.max_retries) == (30, 2)
    assert await fast.agents.list() == []
    await fast.aclose()
    assert closed == []
    await cs.aclose()
    assert closed == [True]


@pytest.mark.anyio
async def test_timeout_is_passed_per_request(api: respx.MockRouter) -> None:
    route = api.post("https://api.getcallsavvy.com/v1/getSummary").respond(
        json=p.envelope("getSummary", p.SUMMARY)
    )
    async with AsyncCallsavvy(public_key="pk", private_key="sk-secret") as cs:
        await cs.with_options(timeout=2.5).account.summary()
    assert route.calls.last.request.extensions["timeout"]["read"] == 2.5


@pytest.mark.anyio
async def test_user_agent_names_package_and_version(api: respx.MockRouter) -> None:
    route = api.post("https://api.getcallsavvy.com/v1/getAgents").respond(
        json=p.envelope("getAgents", [])
    )
    async with AsyncCallsavvy(public_key="pk", private_key="sk-secret") as cs:
        await cs.agents.list()
    agent = route.calls.last.request.headers["user-agent"]
    assert agent.startswith(f"callsavvy-async/{__version__} httpx/")


@pytest.mark.anyio
async def test_custom_transport_is_used_directly() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=p.envelope("getSummary", p.SUMMARY))

    transport = httpx.MockTransport(handler)
    async with AsyncCallsavvy(public_key="pk", private_key="sk-secret", transport=transport) as cs:
        summary = await cs.account.summary()
    assert summary.sms_balance == 980
    assert seen[0].headers["public-key"] == "pk"
    assert seen[0].extensions["timeout"]["connect"] == 10.0


def test_http_client_and_transport_are_exclusive() -> None:
    with pytest.raises(InvalidRequestError, match="not both"):
        AsyncCallsavvy(
            public_key="pk",
            private_key="sk-secret",
            http_client=httpx.AsyncClient(),
            transport=httpx.MockTransport(lambda r: httpx.Response(200)),
        )


@pytest.mark.anyio
async def test_environment_proxy_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    async with server() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url.rsplit("/", 2)[0])
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        async with AsyncCallsavvy(
            public_key="pk", private_key="sk-secret", base_url="http://api.callsavvy.invalid/v1"
        ) as cs:
            await cs.account.summary()
        assert cs.http_client.is_closed
    assert proxy.requests == 1  # the request went to the proxy, not to the .invalid host


def test_private_key_not_in_repr_or_str() -> None:
    cs = AsyncCallsavvy(public_key="pk", private_key=SECRET)
    assert SECRET not in repr(cs)
    assert SECRET not in str(cs)
    assert SECRET not in repr(cs.sms)


@pytest.mark.anyio
async def test_private_key_never_in_errors_or_logs(
    api: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    api.post("https://api.getcallsavvy.com/v1/getSummary").respond(
        json=p.error_envelope("getSummary", "Invalid API credentials")
    )
    api.post("https://api.getcallsavvy.com/v1/sendSMS").mock(side_effect=httpx.ReadTimeout("slow"))
    caplog.set_level(logging.DEBUG, logger="callsavvy_async")
    errors: list[BaseException] = []
    async with AsyncCallsavvy(public_key="pk", private_key=SECRET) as cs:
        for call in (cs.account.summary(), cs.sms.send("+447989987123", "secret message body")):
            try:
                await call
            except (APIError, OutcomeUnknownError) as exc:
                errors.append(exc)
    assert len(errors) == 2
    for error in errors:
        assert SECRET not in str(error)
        assert SECRET not in repr(error)
    assert caplog.records, "DEBUG logging should describe the requests"
    assert SECRET not in caplog.text
    assert "secret message body" not in caplog.text
    assert "getSummary" in caplog.text


@pytest.mark.anyio
async def test_debug_log_records_resource_status_and_retry(
    api: respx.MockRouter, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from callsavvy_async._pipeline import _retry

    async def no_sleep(delay: float) -> None:
        return None

    monkeypatch.setattr(_retry, "sleep", no_sleep)
    route = api.post("https://api.getcallsavvy.com/v1/getAgents")
    route.side_effect = [httpx.Response(503), httpx.Response(200, json=p.envelope("getAgents", []))]
    caplog.set_level(logging.DEBUG, logger="callsavvy_async")
    async with AsyncCallsavvy(public_key="pk", private_key="sk-secret") as cs:
        await cs.agents.list()
    assert "getAgents -> HTTP 503" in caplog.text
    assert "retry 1 after HTTP 503" in caplog.text


@pytest.mark.anyio
async def test_200_concurrent_calls_on_one_client() -> None:
    in_flight = 0
    peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await anyio.sleep(0.01)
        in_flight -= 1
        ticket_id = request.read().decode()
        return httpx.Response(200, json=p.envelope("getTicket", [{"conversation_id": ticket_id}]))

    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    results: dict[int, str] = {}
    async with AsyncCallsavvy(public_key="pk", private_key="sk-secret", http_client=http) as cs:

        async def one(i: int) -> None:
            [message] = await cs.tickets.conversation(f"t{i}")
            results[i] = message.conversation_id

        async with anyio.create_task_group() as tg:
            for i in range(200):
                tg.start_soon(one, i)
    await http.aclose()
    assert len(results) == 200
    assert all(results[i] == f'{{"ticket_id":"t{i}"}}' for i in range(200))
    assert peak > 50


@pytest.mark.parametrize(
    "key", ["sk-SECRET-1\n", " sk-SECRET-1", "sk-SECRET-1\r\n", "sk-SECRÉT-1", "sk\tSECRET-1"]
)
def test_a_key_that_cannot_be_a_header_fails_at_construction_without_showing_it(
    key: str,
) -> None:
    with pytest.raises(InvalidRequestError, match="private_key") as info:
        AsyncCallsavvy(public_key="pk", private_key=key)
    assert "SECRET" not in str(info.value) and "SECR" not in repr(info.value)
    assert info.value.__cause__ is None and info.value.__context__ is None


@pytest.mark.parametrize("url", ["ftp://api.example/v1", "not a url", "http://[::1/v1", "https://"])
def test_a_base_url_that_is_not_http_fails_at_construction(url: str) -> None:
    with pytest.raises(InvalidRequestError, match="base_url"):
        AsyncCallsavvy(public_key="pk", private_key="sk-secret", base_url=url)
