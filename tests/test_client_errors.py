"""The error tree and the retry policy: what is retried, what is raised, what is never resent."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import respx

from callsavvy_async import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AsyncCallsavvy,
    AuthenticationError,
    CallsavvyError,
    OutcomeUnknownError,
    RateLimitError,
    ServerError,
    UnexpectedResponseError,
)
from callsavvy_async._pipeline import _retry
from tests import payloads as p

pytestmark = pytest.mark.anyio

HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record backoff sleeps instead of waiting."""
    recorded: list[float] = []

    async def fake_sleep(delay: float) -> None:
        recorded.append(delay)

    monkeypatch.setattr(_retry, "sleep", fake_sleep)
    return recorded


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=p.BASE_URL, assert_all_called=False) as router:
        yield router


@pytest.fixture
async def cs() -> AsyncIterator[AsyncCallsavvy]:
    async with AsyncCallsavvy(public_key="pk", private_key="sk-secret", max_retries=2) as client:
        yield client


def ok(resource: str, data: object) -> httpx.Response:
    return httpx.Response(200, json=p.envelope(resource, data))


async def test_error_envelope_on_200_is_api_error(
    api: respx.MockRouter, cs: AsyncCallsavvy
) -> None:
    api.post("/getTicket").respond(json=p.error_envelope("getTicket", "Ticket not found"))
    with pytest.raises(APIError) as info:
        await cs.tickets.conversation("nope")
    error = info.value
    assert type(error) is APIError
    assert (error.resource, error.status_code, error.message) == (
        "getTicket",
        200,
        "Ticket not found",
    )
    assert error.body == p.error_envelope("getTicket", "Ticket not found")


async def test_credentials_message_is_authentication_error(
    api: respx.MockRouter, cs: AsyncCallsavvy
) -> None:
    api.post("/getSummary").respond(json=p.error_envelope("getSummary", "Invalid API credentials"))
    with pytest.raises(AuthenticationError, match="Invalid API credentials"):
        await cs.account.summary()


@pytest.mark.parametrize("status", [401, 403])
async def test_401_and_403_are_authentication_errors(
    api: respx.MockRouter, cs: AsyncCallsavvy, status: int
) -> None:
    route = api.post("/getSummary").respond(status, text="denied")
    with pytest.raises(AuthenticationError) as info:
        await cs.account.summary()
    assert info.value.status_code == status
    assert route.call_count == 1


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("<html><body>Please log in</body></html>", "text/html"),
        ("", "application/json"),
        ('{"resource": "getSummary", "status": "succ', "application/json"),
        ('["not", "an", "envelope"]', "application/json"),
        ("[" * 20_000 + "]" * 20_000, "application/json"),
    ],
)
async def test_non_envelope_answer_is_unexpected_response(
    api: respx.MockRouter, cs: AsyncCallsavvy, body: str, content_type: str
) -> None:
    api.post("/getSummary").respond(200, text=body, headers={"content-type": content_type})
    with pytest.raises(UnexpectedResponseError) as info:
        await cs.account.summary()
    assert info.value.status_code == 200
    assert len(str(info.value)) < 400


async def test_unexpected_response_excerpt_is_short(
    api: respx.MockRouter, cs: AsyncCallsavvy
) -> None:
    api.post("/getAgents").respond(404, text="<html>" + "x" * 10_000 + "</html>")
    with pytest.raises(UnexpectedResponseError) as info:
        await cs.agents.list()
    assert info.value.status_code == 404
    assert isinstance(info.value.body, str)
    assert len(info.value.body) <= 200


async def test_wrong_structure_is_unexpected_response(
    api: respx.MockRouter, cs: AsyncCallsavvy
) -> None:
    api.post("/getAgents").respond(json=p.envelope("getAgents", {"agent_id": "a"}))
    with pytest.raises(UnexpectedResponseError, match="list"):
        await cs.agents.list()


async def test_read_retries_5xx_then_succeeds(
    api: respx.MockRouter, cs: AsyncCallsavvy, sleeps: list[float]
) -> None:
    route = api.post("/getAgents")
    route.side_effect = [
        httpx.Response(503, text="busy"),
        httpx.Response(502, text=HTML_502),
        ok("getAgents", p.AGENTS),
    ]
    [agent] = await cs.agents.list()
    assert agent.agent_id == "agt01"
    assert route.call_count == 3
    assert len(sleeps) == 2
    assert all(0 <= delay <= 8 for delay in sleeps)


async def test_read_gives_up_with_server_error_for_html_502(
    api: respx.MockRouter, cs: AsyncCallsavvy, sleeps: list[float]
) -> None:
    route = api.post("/getAgents").respond(
        502, text=HTML_502, headers={"content-type": "text/html"}
    )
    with pytest.raises(ServerError) as info:
        await cs.agents.list()
    assert info.value.status_code == 502
    assert route.call_count == 3


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
)
async def test_read_retries_transport_failures(
    api: respx.MockRouter, cs: AsyncCallsavvy, sleeps: list[float], exc: Exception
) -> None:
    route = api.post("/getSummary")
    route.side_effect = [exc, ok("getSummary", p.SUMMARY)]
    summary = await cs.account.summary()
    assert summary.sms_balance == 980
    assert route.call_count == 2


async def test_read_timeout_exhausted_is_api_timeout(
    api: respx.MockRouter, cs: AsyncCallsavvy, sleeps: list[float]
) -> None:
    api.post("/getSummary").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(APITimeoutError) as info:
        await cs.account.summary()
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)


async def test_read_retries_408(
    api: respx.MockRouter, cs: AsyncCallsavvy, sleeps: list[float]
) -> None:
    route = api.post("/getSummary")
    route.side_effect = [httpx.Response(408), ok("getSummary", p.SUMMARY)]
    await cs.account.summary()
    assert route.call_count == 2


@pytest.mark.parametrize("resource", ["getSummary", "sendSMS"])
async def test_429_honours_retry_after_for_reads_and_writes(
    api: respx.MockRouter, cs: AsyncCallsavvy, sleeps: list[float], resource: str
) -> None:
    data = p.SUMMARY if resource == "getSummary" else p.SMS_RESULT
    route = api.post(f"/{resource}")
    route.side_effect = [httpx.Response(429, headers={"Retry-After": "7"}), ok(resource, data)]
    if resource == "getSummary":
        await cs.account.summary()
    else:
        await cs.sms.send("+447989987123", "hi")
    assert route.call_count == 2
    assert sleeps == [7.0]


async def test_retry_after_is_capped(
    api: respx.MockRouter, cs: AsyncCallsavvy, sleeps: list[float]
) -> None:
    route = api.post("/getSummary")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "86400"}),
        ok("getSummary", p.SUMMARY),
    ]
    await cs.account.summary()
    assert sleeps == [60.0]


async def test_rate_limit_error_after_retries(
    api: respx.MockRouter, cs: AsyncCallsavvy, sleeps: list[float]
) -> None:
    api.post("/getSummary").respond(429, headers={"Retry-After": "3"})
    with pytest.raises(RateLimitError) as info:
        await cs.account.summary()
    assert info.value.retry_after == 3.0
    assert sleeps == [3.0, 3.0]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_write_answered_5xx_is_never_resent(
    api: respx.MockRouter, cs: AsyncCallsavvy, sleeps: list[float], status: int
) -> None:
    route = api.post("/sendWhatsapp").respond(status, text=HTML_502)
    with pytest.raises(OutcomeUnknownError) as info:
        await cs.whatsapp.send("uid", "+447989987123", "hi")
    assert route.call_count == 1
    assert isinstance(info.value.__cause__, ServerError)
    assert info.value.__cause__.status_code == status
    assert sleeps == []


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ReadTimeout("slow"),
        httpx.WriteTimeout("slow"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("reset"),
    ],
)
async def test_write_that_may_have_arrived_is_outcome_unknown(
    api: respx.MockRouter, cs: AsyncCallsavvy, sleeps: list[float], exc: Exception
) -> None:
    route = api.post("/sendSMS").mock(side_effect=exc)
    with pytest.raises(OutcomeUnknownError) as info:
        await cs.sms.send("+447989987123", "hi")
    assert route.call_count == 1
    assert info.value.__cause__ is exc
    assert isinstance(info.value, APIConnectionError)


@pytest.mark.parametrize(
    "exc", [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), httpx.PoolTimeout("full")]
)
async def test_write_is_retried_when_provably_unsent(
    api: respx.MockRouter, cs: AsyncCallsavvy, sleeps: list[float], exc: Exception
) -> None:
    route = api.post("/sendSMS")
    route.side_effect = [exc, ok("sendSMS", p.SMS_RESULT)]
    result = await cs.sms.send("+447989987123", "hi")
    assert result.status == "sent"
    assert route.call_count == 2


async def test_write_connect_failure_exhausted_is_connection_error(
    api: respx.MockRouter, cs: AsyncCallsavvy, sleeps: list[float]
) -> None:
    api.post("/createMeeting").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(APIConnectionError) as info:
        await cs.meetings.create("Standup")
    assert not isinstance(info.value, OutcomeUnknownError)


async def test_write_pool_timeout_exhausted_is_timeout(
    api: respx.MockRouter, cs: AsyncCallsavvy, sleeps: list[float]
) -> None:
    api.post("/createMeeting").mock(side_effect=httpx.PoolTimeout("full"))
    with pytest.raises(APITimeoutError):
        await cs.meetings.create("Standup")


async def test_write_with_unreadable_success_is_outcome_unknown(
    api: respx.MockRouter, cs: AsyncCallsavvy
) -> None:
    route = api.post("/sendSMS").respond(200, text='{"resource": "sendSMS", "sta')
    with pytest.raises(OutcomeUnknownError) as info:
        await cs.sms.send("+447989987123", "hi")
    assert isinstance(info.value.__cause__, UnexpectedResponseError)
    assert route.call_count == 1


async def test_write_408_is_outcome_unknown(api: respx.MockRouter, cs: AsyncCallsavvy) -> None:
    route = api.post("/deleteContact").respond(408)
    with pytest.raises(OutcomeUnknownError):
        await cs.contacts.delete("c1")
    assert route.call_count == 1


async def test_write_error_envelope_is_api_error(api: respx.MockRouter, cs: AsyncCallsavvy) -> None:
    api.post("/sendSMS").respond(json=p.error_envelope("sendSMS", "Insufficient SMS balance"))
    with pytest.raises(APIError, match="Insufficient SMS balance") as info:
        await cs.sms.send("+447989987123", "hi")
    assert not isinstance(info.value, OutcomeUnknownError)


async def test_max_retries_zero_disables_retries(
    api: respx.MockRouter, sleeps: list[float]
) -> None:
    route = api.post("/getSummary").respond(503)
    async with AsyncCallsavvy(public_key="pk", private_key="sk-secret", max_retries=0) as cs:
        with pytest.raises(ServerError):
            await cs.account.summary()
    assert route.call_count == 1
    assert sleeps == []


async def test_with_options_changes_retries_only_for_the_copy(
    api: respx.MockRouter, cs: AsyncCallsavvy, sleeps: list[float]
) -> None:
    route = api.post("/getSummary").respond(503)
    with pytest.raises(ServerError):
        await cs.with_options(max_retries=0).account.summary()
    assert route.call_count == 1
    with pytest.raises(ServerError):
        await cs.account.summary()
    assert route.call_count == 4


async def test_backoff_grows_exponentially_with_full_jitter() -> None:
    policy = _retry.RetryPolicy(max_retries=5, base_delay=0.5, max_delay=8.0)
    for attempt, ceiling in enumerate([0.5, 1.0, 2.0, 4.0, 8.0, 8.0]):
        delays = [policy.delay(attempt) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling / 2


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert _retry.parse_retry_after("12") == 12.0
    assert _retry.parse_retry_after("-3") == 0.0
    assert _retry.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert _retry.parse_retry_after("soon") is None
    assert _retry.parse_retry_after(None) is None
    for nonsense in ("nan", "inf", "-inf", "Mon, 01 Jan 99999999999999999999 00:00:00 GMT"):
        assert _retry.parse_retry_after(nonsense) is None


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (200, {"status": "error", "message": "private key {key} is not valid"}),
        (400, {"status": "error", "message": "bad {key}", "data": {"echo": ["{key}"]}}),
        (500, {"status": "error", "message": "crashed on {key}"}),
        (502, "<html>upstream said {key}</html>"),
    ],
)
async def test_a_server_echoing_the_private_key_does_not_put_it_in_errors(
    status: int, answer: Any
) -> None:
    import traceback

    key = "sk-ECHOED-SECRET-42"

    def api(request: httpx.Request) -> httpx.Response:
        if isinstance(answer, str):
            return httpx.Response(status, text=answer.format(key=key))
        return httpx.Response(status, text=json.dumps(answer).replace("{key}", key))

    transport = httpx.MockTransport(api)
    async with AsyncCallsavvy(
        public_key="pk", private_key=key, transport=transport, max_retries=0
    ) as cs:
        for call in (cs.account.summary(), cs.sms.send("+447989987123", "hi")):
            with pytest.raises(CallsavvyError) as info:
                await call
            shown = "".join(traceback.format_exception(info.value)) + repr(info.value)
            shown += repr(getattr(info.value, "body", None))
            cause = info.value.__cause__
            shown += repr(getattr(cause, "body", None)) + str(cause)
            assert key not in shown


@pytest.mark.parametrize("data", [[1], None, {"cost": "abc"}])
async def test_a_write_whose_success_cannot_be_read_is_outcome_unknown(data: Any) -> None:
    sent: list[httpx.Request] = []

    def api(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"status": "success", "data": data})

    transport = httpx.MockTransport(api)
    async with AsyncCallsavvy(public_key="pk", private_key="sk-secret", transport=transport) as cs:
        with pytest.raises(OutcomeUnknownError, match="check its result"):
            await cs.sms.send("+447989987123", "hi")
    assert len(sent) == 1


async def test_an_error_from_a_users_http_client_hook_is_ours_and_never_resends() -> None:
    sent: list[httpx.Request] = []

    def api(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500, json={"status": "error", "message": "boom"})

    async def strict(response: httpx.Response) -> None:
        response.raise_for_status()

    hooks: dict[str, list[Any]] = {"response": [strict]}
    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(api), event_hooks=hooks) as http,
        AsyncCallsavvy(public_key="pk", private_key="sk-secret", http_client=http) as cs,
    ):
        with pytest.raises(OutcomeUnknownError) as write:
            await cs.sms.send("+447989987123", "hi")
        assert len(sent) == 1
        with pytest.raises(APIConnectionError) as read:
            await cs.account.summary()
    assert isinstance(write.value.__cause__, httpx.HTTPStatusError)
    assert isinstance(read.value, CallsavvyError)
