"""Raw responses, per-request options, default headers, errors carrying the response,
creates that return what was created, and the CALLSAVVY_LOG switch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import respx

from callsavvy_async import (
    AccountSummary,
    AsyncCallsavvy,
    AuthenticationError,
    InvalidRequestError,
    RateLimitError,
    RawResponse,
)
from callsavvy_async.sandbox import TEST_PRIVATE_KEY, Sandbox
from tests import payloads as p

pytestmark = pytest.mark.anyio


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=p.BASE_URL, assert_all_called=False) as router:
        yield router


@pytest.fixture
async def cs() -> AsyncIterator[AsyncCallsavvy]:
    async with AsyncCallsavvy(public_key=p.PUBLIC_KEY, private_key=p.PRIVATE_KEY) as client:
        yield client


def summary_route(api: respx.MockRouter, **headers: str) -> respx.Route:
    return api.post("/getSummary").respond(
        json=p.envelope("getSummary", p.SUMMARY), headers=headers
    )


async def test_raw_response_has_status_headers_response_and_parses_the_model(
    api: respx.MockRouter, cs: AsyncCallsavvy
) -> None:
    summary_route(api, **{"X-Request-Id": "req-42"})
    raw = await cs.with_raw_response.account.summary()
    assert isinstance(raw, RawResponse)
    assert raw.status_code == 200
    assert raw.headers["x-request-id"] == "req-42"
    assert isinstance(raw.http_response, httpx.Response)
    assert raw.parse() == await cs.account.summary()
    assert isinstance(raw.parse(), AccountSummary)


async def test_raw_response_of_a_delete_parses_to_the_id(
    api: respx.MockRouter, cs: AsyncCallsavvy
) -> None:
    api.post("/deleteContact").respond(json=p.envelope("deleteContact", {"contact_id": "c-9"}))
    raw = await cs.with_raw_response.contacts.delete("c-9")
    assert raw.parse() == "c-9"


async def test_raw_responses_still_raise_api_errors(
    api: respx.MockRouter, cs: AsyncCallsavvy
) -> None:
    api.post("/getAgents").respond(401, json={"status": "error", "message": "bad keys"})
    with pytest.raises(AuthenticationError):
        await cs.with_raw_response.agents.list()


async def test_every_api_error_carries_the_response_and_its_headers(
    api: respx.MockRouter,
) -> None:
    api.post("/getSummary").respond(
        429, json={"status": "error", "message": "slow down"}, headers={"Retry-After": "0"}
    )
    async with AsyncCallsavvy(
        public_key=p.PUBLIC_KEY, private_key=p.PRIVATE_KEY, max_retries=0
    ) as cs:
        with pytest.raises(RateLimitError) as caught:
            await cs.account.summary()
    assert isinstance(caught.value.response, httpx.Response)
    assert caught.value.response.status_code == 429
    assert caught.value.headers["retry-after"] == "0"


async def test_extra_headers_are_merged_over_the_defaults(
    api: respx.MockRouter, cs: AsyncCallsavvy
) -> None:
    route = summary_route(api)
    await cs.account.summary(extra_headers={"X-Trace": "t-1", "User-Agent": "mine/1.0"})
    sent = route.calls.last.request.headers
    assert sent["x-trace"] == "t-1"
    assert sent.get_list("user-agent") == ["mine/1.0"]
    assert sent["private-key"] == p.PRIVATE_KEY
    await cs.account.summary()
    assert "x-trace" not in route.calls.last.request.headers


@pytest.mark.parametrize("name", ["Private-Key", "public-key"])
async def test_extra_headers_cannot_replace_the_keys(
    api: respx.MockRouter, cs: AsyncCallsavvy, name: str
) -> None:
    route = summary_route(api)
    with pytest.raises(InvalidRequestError, match="public_key and private_key"):
        await cs.account.summary(extra_headers={name: "other"})
    assert not route.called


async def test_extra_body_is_merged_into_the_json_body(
    api: respx.MockRouter, cs: AsyncCallsavvy
) -> None:
    route = api.post("/sendSMS").respond(json=p.envelope("sendSMS", p.SMS_RESULT))
    await cs.sms.send("+447989987123", "hi", extra_body={"schedule_at": "2026-12-24 09:00:00"})
    body = json.loads(route.calls.last.request.content)
    assert body == {
        "recipient": "+447989987123",
        "message": "hi",
        "schedule_at": "2026-12-24 09:00:00",
    }


async def test_a_per_call_timeout_applies_to_that_call_only(
    api: respx.MockRouter, cs: AsyncCallsavvy
) -> None:
    route = summary_route(api)
    await cs.account.summary(timeout=1.5)
    assert route.calls.last.request.extensions["timeout"]["read"] == 1.5
    await cs.account.summary()
    assert route.calls.last.request.extensions["timeout"]["read"] == 30.0


async def test_a_misspelt_option_is_refused_before_sending(
    api: respx.MockRouter, cs: AsyncCallsavvy
) -> None:
    route = summary_route(api)
    with pytest.raises(InvalidRequestError, match="timeot"):
        await cs.account.summary(timeot=2)  # type: ignore[call-arg]
    assert not route.called


async def test_default_headers_on_the_client_and_with_options(api: respx.MockRouter) -> None:
    route = summary_route(api)
    async with AsyncCallsavvy(
        public_key=p.PUBLIC_KEY, private_key=p.PRIVATE_KEY, default_headers={"X-Team": "crm"}
    ) as cs:
        await cs.account.summary()
        assert route.calls.last.request.headers["x-team"] == "crm"
        tagged = cs.with_options(default_headers={"X-Campaign": "spring"})
        await tagged.account.summary()
        sent = route.calls.last.request.headers
        assert (sent["x-team"], sent["x-campaign"]) == ("crm", "spring")
        await cs.account.summary()
        assert "x-campaign" not in route.calls.last.request.headers
        with pytest.raises(InvalidRequestError):
            cs.with_options(default_headers={"Private-Key": "other"})
    with pytest.raises(InvalidRequestError):
        AsyncCallsavvy(
            public_key="pk", private_key="sk-secret", default_headers={"Public-Key": "x"}
        )


def test_with_options_defaults_read_well() -> None:
    import inspect

    signature = str(inspect.signature(AsyncCallsavvy.with_options))
    assert "NOT_GIVEN" in signature
    assert "object at 0x" not in signature
    assert "max_connections" in (AsyncCallsavvy.__doc__ or "")


@pytest.mark.parametrize("key", ["b", "7chars!"])
def test_a_private_key_too_short_to_be_real_is_refused(key: str) -> None:
    with pytest.raises(InvalidRequestError, match="too short to be a real key"):
        AsyncCallsavvy(public_key="pk", private_key=key)
    AsyncCallsavvy(public_key="pk", private_key=key + "x" * (8 - len(key)))


async def test_creates_return_what_was_sent_where_the_answer_leaves_it_out() -> None:
    sandbox = Sandbox()
    async with sandbox.client() as cs:
        group = (await cs.contact_groups.list())[0]
        contact = await cs.contacts.create(
            "Ada Lovelace",
            email="ada@example.com",
            phone="+44 7700 900123",
            group_id=group.group_id,
        )
        assert (contact.email, contact.phone, contact.group_id) == (
            "ada@example.com",
            "+447700900123",
            group.group_id,
        )
        listed = [c for c in await cs.contacts.list() if c.contact_id == contact.contact_id]
        assert listed == [contact]
        agent = (await cs.agents.list())[0]
        meeting = await cs.meetings.create("Standup", host_agent_id=agent.agent_id)
        assert (meeting.title, meeting.host_agent_id) == ("Standup", agent.agent_id)
        department = (await cs.departments.list())[0]
        ticket = await cs.tickets.create(
            department_id=department.department_id,
            sender_name="Jane Roe",
            sender_email="jane@example.com",
            subject="Where is my order?",
            message="Hello",
        )
        assert (ticket.subject, ticket.sender_name, ticket.sender_email) == (
            "Where is my order?",
            "Jane Roe",
            "jane@example.com",
        )


async def test_where_the_create_answer_has_a_field_the_answer_wins(
    api: respx.MockRouter, cs: AsyncCallsavvy
) -> None:
    api.post("/createContact").respond(
        json=p.envelope(
            "createContact", {"contact_id": "c1", "name": "Ada", "phone": "+447700900999"}
        )
    )
    contact = await cs.contacts.create("Ada", phone="+447700900123", email="ada@example.com")
    assert (contact.phone, contact.email) == ("+447700900999", "ada@example.com")


SCRIPT = textwrap.dedent(
    """
    import anyio, logging
    from callsavvy_async import AuthenticationError
    from callsavvy_async.sandbox import Sandbox

    async def main():
        sandbox = Sandbox()
        sandbox.inject("getSummary", server_error_rate=1.0)
        async with sandbox.client(max_retries=1) as cs:
            try:
                await cs.account.summary()
            except Exception as exc:
                print(type(exc).__name__)
            await cs.agents.list()
        print("handlers", len(logging.getLogger("callsavvy_async").handlers))

    anyio.run(main)
    """
)


def _run_with_log(level: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CALLSAVVY_LOG"}
    if level is not None:
        env["CALLSAVVY_LOG"] = level
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60
    )


def test_callsavvy_log_debug_writes_each_request_to_stderr_without_secrets() -> None:
    result = _run_with_log("debug")
    assert result.returncode == 0, result.stderr
    assert "getSummary -> HTTP 500" in result.stderr
    assert "getSummary: retry 1 after HTTP 500" in result.stderr
    assert "getAgents -> HTTP 200" in result.stderr
    assert TEST_PRIVATE_KEY not in result.stderr + result.stdout
    assert "handlers 1" in result.stdout


def test_callsavvy_log_info_shows_retries_but_not_each_request() -> None:
    result = _run_with_log("info")
    assert "getSummary: retry 1 after HTTP 500" in result.stderr
    assert "getAgents -> HTTP 200" not in result.stderr


def test_without_callsavvy_log_nothing_is_configured() -> None:
    result = _run_with_log(None)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "handlers 0" in result.stdout
