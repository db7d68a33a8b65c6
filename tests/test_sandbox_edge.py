"""The sandbox at the API's edge: keys, methods, unknown resources, bodies that are not
JSON objects, missing fields and invalid values, each answered with the error envelope."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from callsavvy_async import APIError, AuthenticationError
from callsavvy_async.sandbox import TEST_PRIVATE_KEY, TEST_PUBLIC_KEY, Sandbox

pytestmark = pytest.mark.anyio

KEYS = {"Public-Key": TEST_PUBLIC_KEY, "Private-Key": TEST_PRIVATE_KEY}
NUMBERS = ",".join(f"+4477009{n:05d}" for n in range(31))


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox()


async def request(
    sb: Sandbox,
    method: str,
    path: str,
    body: bytes | None = b"{}",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    sent = {**KEYS, "Content-Type": "application/json", **(headers or {})}
    async with httpx.AsyncClient(transport=sb.transport()) as http:
        return await http.request(method, f"http://sandbox{path}", content=body, headers=sent)


def error_of(response: httpx.Response, status: int) -> str:
    """The error envelope's message, after checking the status and the envelope's shape."""
    assert response.status_code == status, response.text
    envelope = response.json()
    assert envelope["status"] == "error"
    assert set(envelope) == {"resource", "status", "message"}
    message: str = envelope["message"]
    return message


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "message"),
    [
        ("GET", "/v1/getSummary", None, {}, 405, "POST"),
        ("PUT", "/v1/getSummary", b"{}", {}, 405, "POST"),
        ("POST", "/v1/noSuchThing", b"{}", {}, 404, "Unknown resource"),
        ("POST", "/v1/getSummary", b"{}", {"Private-Key": "wrong"}, 401, "Invalid API credentials"),
        ("POST", "/v1/getSummary", b"{}", {"Public-Key": ""}, 401, "Invalid API credentials"),
        ("POST", "/v1/getSummary", b"not json", {}, 400, "not valid JSON"),
        ("POST", "/v1/getSummary", b"\xff\xfe", {}, 400, "not valid JSON"),
        ("POST", "/v1/getSummary", b"[1, 2]", {}, 400, "JSON object"),
        ("POST", "/v1/getSummary", b"[" * 20_000 + b"]" * 20_000, {}, 400, "nested too deeply"),
        ("POST", "/v1/getSummary", b"a=b", {"Content-Type": "text/plain"}, 415, "JSON"),
        (
            "POST",
            "/v1/getSummary",
            b"a=b",
            {"Content-Type": "application/x-www-form-urlencoded"},
            415,
            "JSON",
        ),
        ("POST", "/v1/getSummary", b"x" * (1 << 21), {}, 413, "too large"),
    ],
)
async def test_edge_requests_get_the_error_envelope(
    sb: Sandbox,
    method: str,
    path: str,
    body: bytes | None,
    headers: dict[str, str],
    status: int,
    message: str,
) -> None:
    response = await request(sb, method, path, body, headers)
    assert message in error_of(response, status)
    if status == 405:
        assert response.headers["allow"] == "POST"


async def test_the_envelope_names_the_resource(sb: Sandbox) -> None:
    response = await request(sb, "POST", "/v1/getAgents", headers={"Private-Key": "x"})
    assert response.json()["resource"] == "getAgents"


async def test_an_empty_body_and_a_json_suffix_type_are_accepted(sb: Sandbox) -> None:
    plain = await request(sb, "POST", "/v1/getSummary", b"")
    suffixed = await request(
        sb, "POST", "/v1/getSummary", b"{}", {"Content-Type": "application/vnd.api+json"}
    )
    assert plain.json()["status"] == suffixed.json()["status"] == "success"


@pytest.mark.parametrize(
    ("resource", "body", "missing"),
    [
        ("getTicket", {}, "ticket_id"),
        ("createTicket", {"department_id": "d", "sender_name": "A"}, "sender_email"),
        (
            "replyTicket",
            {"ticket_id": "{ticket}", "response_date": "2024-01-01 10:00:00"},
            "response_message",
        ),
        ("replyTicket", {"ticket_id": "{ticket}", "response_message": "hi"}, "response_date"),
        ("sendSMS", {"message": "hi"}, "recipient"),
        ("sendSMS", {"recipient": "+447700900123", "message": "  "}, "message"),
        (
            "sendRobocall",
            {"recipient": "+447700900123", "message": "hi", "duration": "1"},
            "call_type",
        ),
        (
            "sendRobocall",
            {"call_type": "Text-2-Speech", "recipient": "+447700900123", "message": "hi"},
            "duration",
        ),
        ("sendWhatsapp", {"recipient": "+447700900123", "message": "hi"}, "uid"),
        ("getMeeting", {}, "meeting_id"),
        ("createMeeting", {"host_agent_id": "x"}, "title"),
        ("createContact", {"email": "a@example.com"}, "name"),
        ("createContact", {"name": "Ann"}, "email is required if phone is not supplied"),
        ("deleteContact", {}, "contact_id"),
    ],
)
async def test_missing_required_fields_are_refused(
    sb: Sandbox, resource: str, body: dict[str, Any], missing: str
) -> None:
    ticket = next(iter(sb.state.tickets))
    body = {key: value.replace("{ticket}", ticket) for key, value in body.items()}
    response = await request(
        sb, "POST", f"/v1/{resource}", httpx.Request("POST", "/", json=body).content
    )
    assert missing in error_of(response, 400)
    assert sb.ledger == []


@pytest.mark.parametrize(
    ("resource", "body", "problem"),
    [
        (
            "sendWhatsapp",
            {"uid": "u", "recipient": NUMBERS, "message": "hi"},
            "up to 30 recipients",
        ),
        ("sendSMS", {"recipient": "+447700900123,12345", "message": "hi"}, "'12345'"),
        ("sendSMS", {"recipient": "+447700900123,07700900123", "message": "hi"}, "international"),
        (
            "sendRobocall",
            {"call_type": "Video", "recipient": "+447700900123", "message": "m", "duration": "1"},
            "call_type",
        ),
        (
            "sendRobocall",
            {
                "call_type": "Text-2-Speech",
                "recipient": "+447700900123",
                "message": "m",
                "duration": "two",
            },
            "duration",
        ),
        (
            "sendRobocall",
            {
                "call_type": "Pre-recorded-Audio",
                "recipient": "+447700900123",
                "message": "hello",
                "duration": "1",
            },
            "MP3",
        ),
        ("getTickets", {"ticket_status": "Open"}, "ticket_status"),
        ("getTickets", {"datetime": "2024-13"}, "datetime"),
        ("getCalls", {"call_direction": "Sideways"}, "call_direction"),
        ("getChats", {"datetime": "yesterday"}, "datetime"),
        (
            "replyTicket",
            {"ticket_id": "{ticket}", "response_message": "hi", "response_date": "2024-01-01"},
            "response_date",
        ),
        (
            "createTicket",
            {
                "department_id": "{department}",
                "sender_name": "A",
                "sender_email": "not-an-email",
                "ticket_subject": "S",
                "ticket_message": "M",
            },
            "sender_email",
        ),
        ("createContact", {"name": "Ann", "phone": "12"}, "phone"),
    ],
)
async def test_invalid_values_are_refused(
    sb: Sandbox, resource: str, body: dict[str, Any], problem: str
) -> None:
    ticket, department = next(iter(sb.state.tickets)), next(iter(sb.state.departments))
    body = {
        key: value.replace("{ticket}", ticket).replace("{department}", department)
        for key, value in body.items()
    }
    content = httpx.Request("POST", "/", json=body).content
    response = await request(sb, "POST", f"/v1/{resource}", content)
    assert problem in error_of(response, 400)
    assert sb.ledger == []


ROBOCALL = {"call_type": "Text-2-Speech", "recipient": "+447700900123", "message": "m"}


@pytest.mark.parametrize(
    ("resource", "body", "listing"),
    [
        ("createMeeting", rb'{"title":"\ud800"}', "listMeetings"),
        ("createMeeting", rb'{"title":"a\udfffb","host_agent_id":""}', "listMeetings"),
        ("createMeeting", rb'{"title":"ok","\ud800":"x"}', "listMeetings"),
        ("createMeeting", rb'{"title":"ok","extra":{"deep":[1,["\udc00"]]}}', "listMeetings"),
        ("createContact", rb'{"name":"\ud800","email":"a@example.com"}', "getContacts"),
        ("createContact", rb'{"name":"Ann","email":"a\ud800@example.com"}', "getContacts"),
        ("sendSMS", rb'{"recipient":"+447700900123","message":"\ud800"}', "getSummary"),
        (
            "sendWhatsapp",
            rb'{"uid":"u","recipient":"+447700900123","message":"\ud800"}',
            "getSummary",
        ),
    ],
)
async def test_lone_surrogates_are_refused_and_nothing_is_stored(
    sb: Sandbox, resource: str, body: bytes, listing: str
) -> None:
    before = await request(sb, "POST", f"/v1/{listing}")
    response = await request(sb, "POST", f"/v1/{resource}", body)
    assert "not valid UTF-8" in error_of(response, 400)
    after = await request(sb, "POST", f"/v1/{listing}")
    assert after.status_code == 200
    assert after.json() == before.json()
    assert sb.ledger == []


async def test_an_escaped_surrogate_pair_is_one_character(sb: Sandbox) -> None:
    response = await request(sb, "POST", "/v1/createMeeting", rb'{"title":"\ud83d\ude00"}')
    assert response.status_code == 200
    assert response.json()["data"]["title"] == "\N{GRINNING FACE}"


@pytest.mark.parametrize("duration", ["\N{SUPERSCRIPT TWO}", "1" * 5000, "1234567890", "\u0661"])
async def test_durations_that_are_not_ascii_minutes_are_refused(sb: Sandbox, duration: str) -> None:
    content = httpx.Request("POST", "/", json={**ROBOCALL, "duration": duration}).content
    response = await request(sb, "POST", "/v1/sendRobocall", content)
    assert "duration" in error_of(response, 400)
    assert sb.ledger == []


async def test_wrong_keys_raise_authentication_error(sb: Sandbox) -> None:
    async with sb.client(private_key="TEST-wrong") as cs:
        with pytest.raises(AuthenticationError, match="Invalid API credentials") as refused:
            await cs.account.summary()
        with pytest.raises(AuthenticationError):
            await cs.sms.send("+447700900123", "hi")
    assert refused.value.status_code == 401
    assert sb.ledger == []
    assert sb.requests["getSummary"] == 1


async def test_configured_keys_are_accepted_besides_the_test_keys() -> None:
    sb = Sandbox(keys=[("pk-live-1", "sk-live-1")])
    async with sb.client(public_key="pk-live-1", private_key="sk-live-1") as cs:
        assert (await cs.account.summary()).account_status == "Active"
    async with sb.client() as cs:
        assert (await cs.account.summary()).account_status == "Active"
    async with sb.client(public_key="pk-live-1", private_key=TEST_PRIVATE_KEY) as cs:
        with pytest.raises(AuthenticationError):
            await cs.account.summary()


def test_the_documented_test_keys() -> None:
    assert Sandbox.PUBLIC_KEY == TEST_PUBLIC_KEY == "TEST-hdo76HDCGAjfig4jbnyUI4734BNDY"
    assert Sandbox.PRIVATE_KEY == TEST_PRIVATE_KEY
    assert TEST_PRIVATE_KEY == "TEST-934HDHD84JDVBPSW73BYjegh494WD9084NFUih34-9974r"


def test_inject_checks_its_arguments(sb: Sandbox) -> None:
    with pytest.raises(ValueError, match="unknown resource"):
        sb.inject("sendSms", server_error_rate=0.5)
    with pytest.raises(ValueError, match="server_error_rate"):
        sb.inject(server_error_rate=1.5)
    with pytest.raises(ValueError, match="latency"):
        sb.inject(latency=(0.2, 0.1))
    with pytest.raises(ValueError, match="lost_answer"):
        sb.inject(lost_answer_rate=0.1, lost_answer="explode")  # type: ignore[arg-type]


async def test_lifespan_is_acknowledged(sb: Sandbox) -> None:
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[str] = []

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: Any) -> None:
        sent.append(message["type"])

    await sb.app({"type": "lifespan"}, receive, send)
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


async def test_a_contact_with_a_phone_and_an_empty_email_is_created(sb: Sandbox) -> None:
    async with sb.client() as cs:
        contact = await cs.contacts.create("Sam", email="", phone="+447989987123")
        stored = {c.contact_id: c for c in await cs.contacts.list()}[contact.contact_id]
        await cs.sms.send("+447989987124, ,", "hi")
    assert (stored.name, stored.phone) == ("Sam", "+447989987123")
    assert [entry.recipient for entry in sb.ledger] == ["+447989987124"]


@pytest.mark.parametrize(
    "base_url", ["http://sandbox.callsavvy.invalid", "http://sandbox.callsavvy.invalid/v2"]
)
async def test_a_base_url_without_v1_is_refused_as_by_the_real_api(
    sb: Sandbox, base_url: str
) -> None:
    async with sb.client(base_url=base_url) as cs:
        with pytest.raises(APIError) as info:
            await cs.account.summary()
    assert info.value.status_code == 404


async def test_message_bodies_are_kept_exactly_and_priced_by_their_full_length(
    sb: Sandbox,
) -> None:
    message = "Line one\n" + "x" * 151 + "  \n"
    async with sb.client() as cs:
        result = await cs.sms.send("+447989987123", message)
    assert sb.ledger[-1].message == message
    assert (len(message), result.cost) == (163, 2)
