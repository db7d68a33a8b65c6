"""The sandbox's webhook emitter: the six events at an ASGI app (a recorder and a real
WebhookApp), their encodings and overrides, and events fired by state changes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

import pytest

from callsavvy_async import AsyncCallsavvy, OutcomeUnknownError
from callsavvy_async.sandbox import EVENT_NAMES, Sandbox
from callsavvy_async.webhooks import (
    CallerInfoReply,
    CallerInformation,
    CallSummary,
    ChatbotCallback,
    NewChat,
    NewTicketOpened,
    TicketEscalated,
    WebhookApp,
)

pytestmark = pytest.mark.anyio


class Recorder:
    """An ASGI app keeping every request's path, content type and body."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[tuple[str, str, bytes]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        path = scope["path"] + (
            "?" + scope["query_string"].decode() if scope["query_string"] else ""
        )
        self.received.append((path, dict(scope["headers"])[b"content-type"].decode(), body))
        await send({"type": "http.response.start", "status": self.status, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, _, body in self.received]


class Exploding:
    """An ASGI app that fails every request."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("webhook receiver is down")


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox(seed=4)


@pytest.fixture
async def cs(sb: Sandbox) -> AsyncIterator[AsyncCallsavvy]:
    async with sb.client() as client:
        yield client


async def create_ticket(cs: AsyncCallsavvy, sb: Sandbox) -> str:
    created = await cs.tickets.create(
        department_id=next(iter(sb.state.departments)),
        sender_name="Jane Roe",
        sender_email="jane@example.com",
        subject="Broken boiler",
        message="It makes a noise.",
    )
    return created.ticket_id


@pytest.mark.parametrize("event_name", EVENT_NAMES[:5])
async def test_json_events_carry_the_documented_fields(sb: Sandbox, event_name: str) -> None:
    documented = {
        "callerInformation": {"call_department", "caller_number", "call_status"},
        "callSummary": {
            "call_direction",
            "call_department",
            "caller_number",
            "recording_url",
            "call_duration",
            "call_status",
        },
        "newTicketOpened": {
            "ticket_id",
            "ticket_department",
            "ticket_subject",
            "sender_email",
            "ticket_status",
        },
        "ticketEscalated": {
            "ticket_id",
            "ticket_department",
            "last_ticket_reply",
            "ticket_subject",
            "sender_email",
            "ticket_status",
        },
        "newChat": {"chat_department", "visitor_name", "visitor_email", "visitor_phone"},
    }
    recorder = Recorder()
    response = await sb.emit(event_name, recorder)
    assert response.status_code == 200
    [(path, content_type, body)] = recorder.received
    payload = json.loads(body)
    assert (path, content_type) == ("/", "application/json")
    assert set(payload) == {"event", *documented[event_name]}
    assert payload["event"] == event_name
    assert all(isinstance(value, str) for value in payload.values())
    department = payload.get("call_department") or payload.get("ticket_department")
    department = department or payload.get("chat_department")
    assert department in sb.state.departments
    if "ticket_id" in payload:
        assert payload["ticket_id"] in sb.state.tickets


async def test_chatbot_callback_is_form_encoded(sb: Sandbox) -> None:
    recorder = Recorder()
    await sb.emit("chatbotCallback", recorder, original_message="Are you open on Sunday?")
    [(_, content_type, body)] = recorder.received
    form = parse_qs(body.decode())
    assert content_type == "application/x-www-form-urlencoded"
    assert form["event"] == ["chatbotCallback"]
    assert form["original_message"] == ["Are you open on Sunday?"]
    assert form["business_name"] == [sb.state.business_name]
    assert set(form) == {
        "event",
        "original_message",
        "sender_name",
        "bot_name",
        "department",
        "business_name",
    }


async def test_overrides_replace_or_remove_fields_and_paths_carry_queries(sb: Sandbox) -> None:
    recorder = Recorder()
    await sb.emit(
        "callSummary", (recorder, "/hooks?token=s3cret"), call_duration="42", recording_url=None
    )
    await sb.emit("newChat", (recorder, "hooks"), event="somethingNew")
    (path, _, body), (plain_path, _, unknown) = recorder.received
    assert (path, plain_path) == ("/hooks?token=s3cret", "/hooks")
    payload = json.loads(body)
    assert payload["call_duration"] == "42"
    assert "recording_url" not in payload
    assert json.loads(unknown)["event"] == "somethingNew"


async def test_emit_needs_a_known_event_and_a_target(sb: Sandbox) -> None:
    with pytest.raises(ValueError, match="unknown webhook event"):
        await sb.emit("callEnded", Recorder())
    with pytest.raises(ValueError, match="no webhook target"):
        await sb.emit("newChat")
    recorder = Recorder()
    sb.webhook_target = recorder
    await sb.emit("newChat")
    assert len(recorder.received) == 1


async def test_emitter_drives_a_webhook_app(sb: Sandbox) -> None:
    webhooks = WebhookApp(token="s3cret")
    seen: list[Any] = []

    @webhooks.on(CallerInformation)
    async def who(event: CallerInformation) -> CallerInfoReply:
        seen.append(event)
        return CallerInfoReply(caller_name="Jane Roe", customer_info="VIP since 2021")

    @webhooks.on(ChatbotCallback)
    async def bot(event: ChatbotCallback) -> str:
        seen.append(event)
        return f"<p>Hello {event.sender_name}, we open at 9.</p>"

    for event_class in (CallSummary, NewTicketOpened, TicketEscalated, NewChat):

        @webhooks.on(event_class)
        async def record(event: Any) -> None:
            seen.append(event)

    target = (webhooks, "/?token=s3cret")
    caller = await sb.emit("callerInformation", target, caller_number="+447700900123")
    summary = await sb.emit("callSummary", target)
    opened = await sb.emit("newTicketOpened", target)
    escalated = await sb.emit("ticketEscalated", target)
    chat = await sb.emit("newChat", target)
    chatbot = await sb.emit("chatbotCallback", target)
    refused = await sb.emit("newChat", webhooks)
    assert caller.json() == {
        "status": "success",
        "caller_name": "Jane Roe",
        "caller_email": "",
        "customer_info": "VIP since 2021",
    }
    assert [r.status_code for r in (summary, opened, escalated, chat)] == [200] * 4
    assert chatbot.headers["content-type"].startswith("text/html")
    assert "we open at 9" in chatbot.text
    assert refused.status_code == 401
    kinds = [type(event) for event in seen]
    assert kinds == [
        CallerInformation,
        CallSummary,
        NewTicketOpened,
        TicketEscalated,
        NewChat,
        ChatbotCallback,
    ]
    assert seen[0].caller_number == "+447700900123"
    assert isinstance(seen[1].call_duration, int)
    assert seen[2].ticket_id in sb.state.tickets
    assert seen[3].last_ticket_reply is not None
    assert seen[5].business_name == sb.state.business_name


async def test_new_tickets_fire_new_ticket_opened(sb: Sandbox, cs: AsyncCallsavvy) -> None:
    webhooks = WebhookApp()
    opened: list[NewTicketOpened] = []

    @webhooks.on(NewTicketOpened)
    async def on_ticket(event: NewTicketOpened) -> None:
        opened.append(event)

    sb.webhook_target = webhooks
    ticket_id = await create_ticket(cs, sb)
    [event] = opened
    assert (event.ticket_id, event.ticket_status) == (ticket_id, "New")
    assert event.ticket_subject == "Broken boiler"
    assert event.sender_email == "jane@example.com"
    assert event.ticket_department == next(iter(sb.state.departments))


async def test_robocalls_fire_a_call_summary_per_recipient(sb: Sandbox, cs: AsyncCallsavvy) -> None:
    recorder = Recorder()
    sb.webhook_target = recorder
    await cs.robocalls.send(
        ["+447700900123", "+447700900124"],
        "Your order ships today",
        call_type="Text-2-Speech",
        duration=2,
    )
    await cs.sms.send("+447700900125", "no webhook for this")
    events = recorder.events()
    assert [e["caller_number"] for e in events] == ["+447700900123", "+447700900124"]
    assert {(e["event"], e["call_direction"], e["call_duration"]) for e in events} == {
        ("callSummary", "Outgoing", "120")
    }


async def test_no_target_means_no_events(sb: Sandbox, cs: AsyncCallsavvy) -> None:
    recorder = Recorder()
    await create_ticket(cs, sb)
    sb.webhook_target = recorder
    sb.webhook_target = None
    await create_ticket(cs, sb)
    assert recorder.received == []
    assert sb.state.take_events() == []


@pytest.mark.parametrize("receiver", [Recorder(status=500), Exploding()])
async def test_a_failing_receiver_never_breaks_the_api(
    sb: Sandbox, cs: AsyncCallsavvy, receiver: Any, caplog: pytest.LogCaptureFixture
) -> None:
    sb.webhook_target = receiver
    ticket_id = await create_ticket(cs, sb)
    assert ticket_id in sb.state.tickets
    assert "newTicketOpened" in caplog.text


async def test_a_lost_answer_still_fires_the_event(sb: Sandbox, cs: AsyncCallsavvy) -> None:
    recorder = Recorder()
    sb.webhook_target = recorder
    sb.inject("createTicket", lost_answer_rate=1.0)
    with pytest.raises(OutcomeUnknownError):
        await create_ticket(cs, sb)
    [event] = recorder.events()
    assert event["event"] == "newTicketOpened"
    assert event["ticket_id"] in sb.state.tickets
