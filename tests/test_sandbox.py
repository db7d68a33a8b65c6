"""The sandbox through the SDK: every resource, the edge behaviour, faults and the ledger."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from callsavvy_async import (
    APIError,
    AsyncCallsavvy,
    AuthenticationError,
    OutcomeUnknownError,
    ServerError,
    _retry,
)
from callsavvy_async.sandbox import TEST_PRIVATE_KEY, TEST_PUBLIC_KEY, Sandbox

pytestmark = pytest.mark.anyio


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox(seed=7)


@pytest.fixture
async def cs(sb: Sandbox) -> AsyncIterator[AsyncCallsavvy]:
    async with sb.client() as client:
        yield client


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []

    async def fake_sleep(delay: float) -> None:
        recorded.append(delay)

    monkeypatch.setattr(_retry, "sleep", fake_sleep)
    return recorded


def numbers(count: int, start: int = 0) -> list[str]:
    return [f"+4479{n:08d}" for n in range(start, start + count)]


async def test_directory_and_summary(cs: AsyncCallsavvy) -> None:
    summary = await cs.account.summary()
    departments = await cs.departments.list()
    categories = await cs.categories.list()
    agents = await cs.agents.list()
    groups = await cs.contact_groups.list()
    assert summary.account_status == "Active"
    assert summary.sms_balance and summary.sms_balance > 1000
    assert len(departments) >= 2 and all(d.department_agents for d in departments)
    assert categories and agents and groups
    assert len({a.agent_id for a in agents}) == len(agents)


async def test_tickets_lifecycle_and_filters(cs: AsyncCallsavvy) -> None:
    department = (await cs.departments.list())[1].department_id
    agent = (await cs.agents.list())[0]
    created = await cs.tickets.create(
        department_id=department,
        sender_name="Jane Roe",
        sender_email="jane@example.com",
        subject="Refund",
        message="Where is my refund?",
    )
    reply = await cs.tickets.reply(created.ticket_id, message="On its way", agent_id=agent.agent_id)
    customer = await cs.tickets.reply(
        created.ticket_id, message="Thanks", response_date=dt.datetime(2030, 1, 2, 3, 4, 5)
    )
    assert reply.new_status == "Awaiting Customer Reply"
    assert customer.new_status == "Awaiting Agent Reply"
    first, by_agent, by_customer = await cs.tickets.conversation(created.ticket_id)
    assert (first.message, first.from_agent) == ("Where is my refund?", False)
    assert (by_agent.from_agent, by_agent.agent_name) == (True, agent.agent_name)
    assert by_customer.datetime == dt.datetime(2030, 1, 2, 3, 4, 5)
    [mine] = await cs.tickets.list(sender_email="jane@example.com")
    assert mine.ticket_id == created.ticket_id
    assert mine.ticket_status == "Awaiting Agent Reply"
    assert all(
        t.department_id == department for t in await cs.tickets.list(department_id=department)
    )
    assert await cs.tickets.list(ticket_status="Closed") == []
    today = dt.date.today()
    assert created.ticket_id in {t.ticket_id for t in await cs.tickets.list(period=today)}
    assert await cs.tickets.list(period="1999-01") == []


async def test_unknown_ticket_is_an_error_envelope(cs: AsyncCallsavvy) -> None:
    with pytest.raises(APIError, match="Ticket not found") as info:
        await cs.tickets.conversation("nope")
    assert info.value.status_code == 200


async def test_calls_chats_messengers_filter(cs: AsyncCallsavvy) -> None:
    calls = await cs.calls.list()
    incoming = await cs.calls.list(call_direction="Incoming")
    assert calls and incoming and len(incoming) < len(calls)
    assert all(c.direction == "Incoming" and c.duration for c in incoming)
    department = calls[0].department_id
    assert all(c.department_id == department for c in await cs.calls.list(department_id=department))
    month = calls[0].datetime
    assert month is not None
    in_month = await cs.calls.list(period=month.strftime("%Y-%m"))
    assert calls[0].call_id in {c.call_id for c in in_month}
    chats = await cs.chats.list(department_id=department)
    messengers = await cs.messengers.list()
    assert chats and all(c.department_id == department for c in chats)
    assert {m.channel for m in messengers} >= {"whatsapp", "facebook"}


async def test_meetings(cs: AsyncCallsavvy) -> None:
    host = (await cs.agents.list())[0].agent_id
    created = await cs.meetings.create("Demo call", host_agent_id=host)
    fetched = await cs.meetings.get(created.meeting_id)
    assert created.status == "Not Started"
    assert fetched.host_agent_id == host
    assert fetched.join_link and fetched.join_link.endswith(created.meeting_id)
    assert fetched.start_link and fetched.start_link.startswith(fetched.join_link + "?s=")
    listed = await cs.meetings.list(period=dt.date.today())
    assert [m.meeting_id for m in listed] == [created.meeting_id]


async def test_contacts(cs: AsyncCallsavvy) -> None:
    group = (await cs.contact_groups.list())[0].group_id
    jane = await cs.contacts.create("Jane", phone="+44 7989 987123", group_id=group)
    await cs.contacts.create("John", email="john@example.com")
    assert [c.name for c in await cs.contacts.list(group_id=group)] == ["Jane"]
    assert len(await cs.contacts.list()) == 2
    assert await cs.contacts.delete(jane.contact_id) == jane.contact_id
    assert [c.name for c in await cs.contacts.list()] == ["John"]
    with pytest.raises(APIError, match="not found"):
        await cs.contacts.delete(jane.contact_id)


async def test_sends_are_in_the_ledger_and_cost_units(sb: Sandbox, cs: AsyncCallsavvy) -> None:
    before = await cs.account.summary()
    sms = await cs.sms.send(numbers(3), "x" * 200)
    robo = await cs.robocalls.send(numbers(2), "Hello", call_type="Text-2-Speech", duration=3)
    wa = await cs.whatsapp.send("uid-1", numbers(30, 100), "Sale")
    after = await cs.account.summary()
    assert sms.cost == Decimal(6)
    assert robo.cost == Decimal(6)
    assert {sms.status, robo.status, wa.status} <= {"sent", "queued"}
    assert before.sms_balance is not None and after.sms_balance == before.sms_balance - 6
    assert before.outbound_local_call_balance is not None
    assert after.outbound_local_call_balance == before.outbound_local_call_balance - 6
    channels = [entry.channel for entry in sb.ledger]
    assert channels == ["sms"] * 3 + ["robocall"] * 2 + ["whatsapp"] * 30
    assert [e.recipient for e in sb.ledger[5:]] == numbers(30, 100)
    assert {e.message_id for e in sb.ledger[:3]} == {sms.message_id}
    assert all(e.message == "Sale" for e in sb.ledger[5:])


async def test_more_than_30_whatsapp_recipients_is_refused_by_the_server(sb: Sandbox) -> None:
    async with httpx.AsyncClient(transport=sb.transport()) as http:
        response = await http.post(
            "http://sandbox/v1/sendWhatsapp",
            json={"uid": "u", "recipient": ",".join(numbers(31)), "message": "hi"},
            headers={"Public-Key": TEST_PUBLIC_KEY, "Private-Key": TEST_PRIVATE_KEY},
        )
    assert response.json()["status"] == "error"
    assert "30" in response.json()["message"]
    assert sb.ledger == []


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status"),
    [
        ("GET", "/v1/getSummary", None, {}, 405),
        ("POST", "/v1/noSuchThing", b"{}", {}, 404),
        ("POST", "/v1/getSummary", b"{}", {"Private-Key": "wrong"}, 401),
        ("POST", "/v1/getTicket", b"{}", {}, 400),
        ("POST", "/v1/getSummary", b"not json", {}, 400),
        ("POST", "/v1/getSummary", b"[1, 2]", {}, 400),
        ("POST", "/v1/getSummary", b"a=b", {"Content-Type": "text/plain"}, 415),
        ("POST", "/v1/sendSMS", b'{"recipient": "12", "message": "x"}', {}, 400),
    ],
)
async def test_edge_behaviour(
    sb: Sandbox, method: str, path: str, body: bytes | None, headers: dict[str, str], status: int
) -> None:
    sent = {
        "Public-Key": TEST_PUBLIC_KEY,
        "Private-Key": TEST_PRIVATE_KEY,
        "Content-Type": "application/json",
        **headers,
    }
    async with httpx.AsyncClient(transport=sb.transport()) as http:
        response = await http.request(method, f"http://sandbox{path}", content=body, headers=sent)
    assert response.status_code == status
    envelope = response.json()
    assert envelope["status"] == "error"
    assert envelope["message"]


async def test_wrong_keys_are_refused(sb: Sandbox) -> None:
    async with sb.client(private_key="TEST-wrong") as cs:
        with pytest.raises(AuthenticationError, match="Invalid API credentials"):
            await cs.account.summary()


async def test_configured_keys_are_accepted(sb: Sandbox) -> None:
    custom = Sandbox(keys=[("pk-live", "sk-live")])
    async with custom.client(public_key="pk-live", private_key="sk-live") as cs:
        assert (await cs.account.summary()).account_status == "Active"


async def test_5xx_reads_are_retried_writes_are_outcome_unknown(
    sb: Sandbox, cs: AsyncCallsavvy, sleeps: list[float]
) -> None:
    sb.inject(server_error_rate=1.0)
    with pytest.raises(ServerError):
        await cs.agents.list()
    assert sb.requests["getAgents"] == 3
    with pytest.raises(OutcomeUnknownError):
        await cs.sms.send("+447989987123", "hi")
    assert sb.requests["sendSMS"] == 1
    assert sb.ledger == []


async def test_429_is_retried_after_retry_after(sb: Sandbox, sleeps: list[float]) -> None:
    sb.inject("sendWhatsapp", rate_limit_rate=0.5, retry_after=4)
    async with sb.client(max_retries=10) as cs:
        for start in range(0, 300, 30):
            await cs.whatsapp.send("uid", numbers(30, start), "hi")
    assert len(sb.ledger) == 300
    assert len({e.recipient for e in sb.ledger}) == 300
    assert sleeps and set(sleeps) == {4.0}
    assert sb.requests["sendWhatsapp"] == 10 + len(sleeps)


@pytest.mark.parametrize(
    ("kind", "cause"), [("disconnect", httpx.RemoteProtocolError), ("timeout", httpx.ReadTimeout)]
)
async def test_lost_answer_write_is_processed_but_unknown(
    sb: Sandbox, cs: AsyncCallsavvy, kind: Any, cause: type[Exception]
) -> None:
    sb.inject("sendSMS", lost_answer_rate=1.0, lost_answer=kind)
    with pytest.raises(OutcomeUnknownError) as info:
        await cs.sms.send("+447989987123", "hi")
    assert isinstance(info.value.__cause__, cause)
    assert [e.recipient for e in sb.ledger] == ["+447989987123"]
    assert sb.requests["sendSMS"] == 1


async def test_lost_answer_read_is_retried(sb: Sandbox, sleeps: list[float]) -> None:
    sb.inject("getAgents", lost_answer_rate=0.5)
    async with sb.client(max_retries=20) as cs:
        for _ in range(5):
            assert await cs.agents.list()
    assert sb.requests["getAgents"] > 5


async def test_faults_are_deterministic_under_a_seed(sleeps: list[float]) -> None:
    outcomes = []
    for _ in range(2):
        box = Sandbox(seed=3)
        box.inject("sendSMS", server_error_rate=0.3, lost_answer_rate=0.3)
        run = []
        async with box.client() as cs:
            for number in numbers(20):
                try:
                    await cs.sms.send(number, "hi")
                    run.append("ok")
                except OutcomeUnknownError as exc:
                    run.append(type(exc.__cause__).__name__)
        outcomes.append(run)
    assert outcomes[0] == outcomes[1]
    assert {"ok", "ServerError", "RemoteProtocolError"} <= set(outcomes[0])


async def test_latency_is_injected(sb: Sandbox, cs: AsyncCallsavvy) -> None:
    import anyio

    sb.inject("getSummary", latency=(0.05, 0.06))
    started = anyio.current_time()
    await cs.account.summary()
    assert anyio.current_time() - started >= 0.05


class Recorder:
    """A tiny ASGI app recording what it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[str, bytes]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = dict(scope["headers"])
        self.received.append((headers[b"content-type"].decode(), body))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def test_emitter_sends_json_and_form_events(sb: Sandbox) -> None:
    recorder = Recorder()
    summary = await sb.emit("callSummary", recorder, call_duration="42")
    bot = await sb.emit("chatbotCallback", recorder, original_message="hours?")
    assert summary.status_code == bot.status_code == 200
    (json_type, json_body), (form_type, form_body) = recorder.received
    assert json_type == "application/json"
    assert json.loads(json_body)["call_duration"] == "42"
    assert json.loads(json_body)["event"] == "callSummary"
    assert form_type == "application/x-www-form-urlencoded"
    assert parse_qs(form_body.decode())["original_message"] == ["hours?"]


async def test_new_ticket_fires_webhook_automatically(sb: Sandbox, cs: AsyncCallsavvy) -> None:
    recorder = Recorder()
    sb.webhook_target = recorder
    department = (await cs.departments.list())[0].department_id
    created = await cs.tickets.create(
        department_id=department,
        sender_name="A",
        sender_email="a@example.com",
        subject="S",
        message="M",
    )
    [(_, body)] = recorder.received
    event = json.loads(body)
    assert (event["event"], event["ticket_id"]) == ("newTicketOpened", created.ticket_id)
    assert event["ticket_department"] == department
