"""WebhookApp in-process: every event, replies and fallbacks, security, bad input, dedupe."""

from __future__ import annotations

import datetime as dt
import json
import logging
from decimal import Decimal
from typing import Any

import anyio
import httpx
import pytest

from callsavvy_async.testing import post_event, sample_body, sample_payload
from callsavvy_async.webhooks import (
    CallerInfoReply,
    CallerInformation,
    CallSummary,
    ChatbotCallback,
    NewChat,
    NewTicketOpened,
    Rejection,
    TicketEscalated,
    UnknownEvent,
    WebhookApp,
    parse_event,
)

pytestmark = pytest.mark.anyio
TOKEN = "wh-secret-token-123"


async def post_raw(
    app: WebhookApp,
    body: bytes,
    content_type: str | None = "application/json",
    *,
    method: str = "POST",
    path: str = "/",
    headers: dict[str, str] | None = None,
    client: tuple[str, int] = ("127.0.0.1", 5000),
) -> httpx.Response:
    sent = {"content-type": content_type} if content_type else {}
    transport = httpx.ASGITransport(app=app, client=client)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        return await http.request(method, path, content=body, headers={**sent, **(headers or {})})


async def test_caller_information_answers_the_handlers_reply() -> None:
    app = WebhookApp()
    seen: list[CallerInformation] = []

    @app.on(CallerInformation)
    async def who(event: CallerInformation) -> CallerInfoReply:
        seen.append(event)
        return CallerInfoReply(caller_name="Jane Roe", customer_info="VIP since 2019")

    response = await post_event(app, "callerInformation")
    assert response.status_code == 200
    assert response.json() == {
        "status": "success",
        "caller_name": "Jane Roe",
        "caller_email": "",
        "customer_info": "VIP since 2019",
    }
    [event] = seen
    assert (event.caller_number, event.call_department, event.call_status) == (
        "+447989987123",
        "dpt01",
        "routing",
    )


async def test_caller_information_accepts_a_dict_and_sync_handler() -> None:
    app = WebhookApp()
    app.on("callerInformation")(lambda event: {"caller_email": "j@example.com", "junk": 1})
    response = await post_event(app, "callerInformation")
    assert response.json()["caller_email"] == "j@example.com"
    assert "junk" not in response.json()


@pytest.mark.parametrize("failure", ["raise", "slow", "wrong type"])
async def test_caller_information_falls_back(
    failure: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = WebhookApp(
        caller_info_timeout=0.05, caller_info_fallback=CallerInfoReply(caller_name="?")
    )

    @app.on(CallerInformation)
    async def who(event: CallerInformation) -> Any:
        if failure == "raise":
            raise RuntimeError("database password is hunter2")
        if failure == "slow":
            await anyio.sleep_forever()
        return 42

    with anyio.fail_after(2):
        response = await post_event(app, "callerInformation")
    assert response.status_code == 200
    assert response.json()["caller_name"] == "?"
    assert "hunter2" not in response.text
    assert caplog.records


async def test_caller_information_without_handler_answers_empty_success() -> None:
    response = await post_event(WebhookApp(), "callerInformation")
    assert response.json() == {
        "status": "success",
        "caller_name": "",
        "caller_email": "",
        "customer_info": "",
    }


async def test_chatbot_form_and_json_answer_html() -> None:
    app = WebhookApp()

    @app.on(ChatbotCallback)
    async def bot(event: ChatbotCallback) -> str:
        return f"<p>Hi {event.sender_name}, you said: {event.original_message}</p>"

    form = await post_event(app, "chatbotCallback", original_message="hours & prices?")
    content_type, body = "application/json", json.dumps(sample_payload("chatbotCallback")).encode()
    as_json = await post_raw(app, body, content_type)
    assert form.status_code == as_json.status_code == 200
    assert form.headers["content-type"] == "text/html; charset=utf-8"
    assert form.text == "<p>Hi Sam Visitor, you said: hours & prices?</p>"
    assert "What are your opening hours?" in as_json.text


async def test_chatbot_fallback_on_error() -> None:
    app = WebhookApp(chatbot_fallback="Sorry, try later")

    @app.on("chatbotCallback")
    async def bot(event: ChatbotCallback) -> str:
        raise ValueError("boom")

    response = await post_event(app, "chatbotCallback")
    assert (response.status_code, response.text) == (200, "Sorry, try later")


@pytest.mark.parametrize(
    ("cls", "check"),
    [
        (CallSummary, lambda e: e.call_duration == 184 and e.recording_url.endswith(".mp3")),
        (NewTicketOpened, lambda e: e.ticket_id == "tkt01" and e.ticket_status == "New"),
        (TicketEscalated, lambda e: e.last_ticket_reply == dt.datetime(2024, 3, 14, 9, 12)),
        (NewChat, lambda e: e.visitor_email == "sam@example.com"),
    ],
)
async def test_notifications_are_dispatched_and_answered(cls: Any, check: Any) -> None:
    app = WebhookApp()
    seen: list[Any] = []
    app.on(cls)(seen.append)
    response = await post_event(app, cls.WIRE_NAME)
    assert (response.status_code, response.json()) == (200, {"status": "success"})
    [event] = seen
    assert isinstance(event, cls)
    assert check(event)


async def test_unknown_fields_are_kept() -> None:
    event = parse_event(
        "application/json", json.dumps(sample_payload("newChat", chat_rating="5")).encode()
    )
    assert isinstance(event, NewChat)
    assert event.extra == {"chat_rating": "5"}


async def test_unknown_event_goes_to_on_unknown() -> None:
    unknown: list[UnknownEvent] = []
    app = WebhookApp(on_unknown=unknown.append)
    response = await post_raw(app, b'{"event": "callRecordingReady", "id": "r1"}')
    assert response.status_code == 200
    assert unknown[0].event == "callRecordingReady"
    assert unknown[0].payload["id"] == "r1"


async def test_unknown_event_without_hook_is_200() -> None:
    assert (await post_raw(WebhookApp(), b'{"event": "later"}')).status_code == 200


async def test_registering_twice_is_an_error() -> None:
    app = WebhookApp()
    app.on(CallSummary)(print)
    with pytest.raises(ValueError, match="already registered"):
        app.on("callSummary")(print)
    with pytest.raises(ValueError, match="unknown event"):
        app.on("noSuchEvent")
    app.on_unknown(print)
    with pytest.raises(ValueError, match="already registered"):
        app.on_unknown(print)


async def test_handler_exception_is_logged_not_answered(caplog: pytest.LogCaptureFixture) -> None:
    app = WebhookApp()

    @app.on(NewChat)
    async def broken(event: NewChat) -> None:
        raise RuntimeError("kaput")

    response = await post_event(app, "newChat")
    assert response.status_code == 200
    assert "newChat handler failed" in caplog.text


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [
        (b"{not json", "application/json", 400, "JSON"),
        (b"[1, 2]", "application/json", 400, "object"),
        (b'{"event": ' + b"[" * 20_000 + b"]" * 20_000 + b"}", "application/json", 400, "nested"),
        (b"\xff\xfe{}", "application/json", 400, "UTF-8"),
        (b"a=1&&==", "application/x-www-form-urlencoded", 400, "form"),
        (b"<xml/>", "application/xml", 415, "content type"),
        (b'{"caller_number": "+44"}', "application/json", 422, "event"),
        (b'{"event": "callSummary"}', "application/json", 422, "caller_number"),
        (b'{"event": "newTicketOpened", "ticket_id": ""}', "application/json", 422, "ticket_id"),
        (b"event=chatbotCallback", "application/x-www-form-urlencoded", 422, "original_message"),
        (
            b'{"event": "callSummary", "caller_number": "+44", "call_duration": "long"}',
            "application/json",
            422,
            "call_duration",
        ),
        (
            b'{"event": "callSummary", "caller_number": {"secret": "value-xyz"}}',
            "application/json",
            422,
            "caller_number",
        ),
    ],
)
async def test_bad_input_is_a_short_json_error(
    body: bytes, content_type: str, status: int, words: str
) -> None:
    response = await post_raw(WebhookApp(), body, content_type)
    assert response.status_code == status
    assert response.json()["status"] == "error"
    assert words in response.json()["message"]
    assert "value-xyz" not in response.text
    assert "Traceback" not in response.text


async def test_wrong_method_and_size() -> None:
    app = WebhookApp(max_body_size=100)
    assert (await post_raw(app, b"", method="GET")).status_code == 405
    assert (await post_raw(app, b"{" + b" " * 200 + b"}")).status_code == 413


async def test_chunked_body_over_the_limit_is_refused_without_reading_it_all() -> None:
    app = WebhookApp(max_body_size=1000)
    pulled = 0
    replies: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b"x" * 100, "more_body": pulled < 100}

    async def send(message: dict[str, Any]) -> None:
        replies.append(message)

    headers = [(b"content-type", b"application/json")]
    scope = {"type": "http", "method": "POST", "headers": headers, "query_string": b"", "path": "/"}
    with anyio.fail_after(2):
        await app(scope, receive, send)
    assert replies[0]["status"] == 413
    assert pulled <= 11


async def test_slow_body_times_out() -> None:
    app = WebhookApp(body_timeout=0.05)
    messages = [{"type": "http.request", "body": b"{", "more_body": True}]
    replies: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await anyio.sleep_forever()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        replies.append(message)

    scope = {"type": "http", "method": "POST", "headers": [], "query_string": b"", "path": "/"}
    with anyio.fail_after(2):
        await app(scope, receive, send)
    assert replies[0]["status"] == 408


@pytest.mark.parametrize(
    ("headers", "path", "status"),
    [
        ({}, "/", 401),
        ({"x-callsavvy-token": "wrong"}, "/", 401),
        ({"x-callsavvy-token": TOKEN}, "/", 200),
        ({}, f"/?token={TOKEN}", 200),
        ({}, "/?token=old-token", 200),
        ({}, "/?token=", 401),
    ],
)
async def test_token_from_header_or_query(
    headers: dict[str, str], path: str, status: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    app = WebhookApp(token=[TOKEN, "old-token"])
    content_type, body = sample_body("newChat")
    response = await post_raw(app, body, content_type, path=path, headers=headers)
    assert response.status_code == status
    if status == 401:
        assert response.json() == {"status": "error", "message": "unauthorized"}
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("callsavvy_async")]
    assert not any(TOKEN in message for message in ours)
    assert TOKEN not in response.text
    assert TOKEN not in repr(app)


@pytest.mark.parametrize(
    ("client", "forwarded", "status"),
    [
        ("203.0.113.7", None, 200),
        ("198.51.100.1", None, 403),
        ("198.51.100.1", "203.0.113.7", 403),
        ("10.0.0.2", "203.0.113.7", 200),
        ("10.0.0.2", "198.51.100.9, 203.0.113.7", 200),
        ("10.0.0.2", "203.0.113.7, 198.51.100.9", 403),
        ("10.0.0.2", None, 403),
        ("::ffff:203.0.113.7", None, 200),
        ("::ffff:10.0.0.2", "::ffff:203.0.113.7", 200),
        ("2001:db8::1", None, 200),
    ],
)
async def test_allowed_ips_and_trusted_proxies(
    client: str, forwarded: str | None, status: int
) -> None:
    app = WebhookApp(allowed_ips=["203.0.113.0/24", "2001:db8::1"], trusted_proxies=["10.0.0.0/8"])
    headers = {"x-forwarded-for": forwarded} if forwarded else {}
    content_type, body = sample_body("newChat")
    response = await post_raw(app, body, content_type, headers=headers, client=(client, 4000))
    assert response.status_code == status


async def test_dedupe_drops_repeated_deliveries() -> None:
    app = WebhookApp(dedupe=True)
    summaries: list[CallSummary] = []
    tickets: list[NewTicketOpened] = []
    app.on(CallSummary)(summaries.append)
    app.on(NewTicketOpened)(tickets.append)
    for _ in range(3):
        assert (await post_event(app, "callSummary")).status_code == 200
        await post_event(app, "newTicketOpened")
    await post_event(app, "callSummary", recording_url="https://recordings.sandbox.invalid/2.mp3")
    await post_event(app, "newTicketOpened", ticket_status="Closed")
    assert len(summaries) == 2
    assert [t.ticket_status for t in tickets] == ["New", "Closed"]


async def test_dedupe_key_is_overridable() -> None:
    app = WebhookApp(dedupe=True, dedupe_key=lambda event, body: event.event)
    chats: list[NewChat] = []
    app.on(NewChat)(chats.append)
    await post_event(app, "newChat", visitor_name="A")
    await post_event(app, "newChat", visitor_name="B")
    assert len(chats) == 1


class Delivery:
    """One raw ASGI delivery of a sample event, recording when the answer went out."""

    def __init__(self, app: WebhookApp, event: str, **overrides: object) -> None:
        self.app = app
        content_type, self.body = sample_body(event, **overrides)
        self.headers = [(b"content-type", content_type.encode())]
        self.status: int | None = None
        self.answered = anyio.Event()
        self.finished = anyio.Event()

    async def run(self) -> None:
        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": self.body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.status = message["status"]
            elif not message.get("more_body"):
                self.answered.set()

        scope = {
            "type": "http",
            "method": "POST",
            "path": "/",
            "query_string": b"",
            "headers": self.headers,
            "client": ("127.0.0.1", 1),
        }
        await self.app(scope, receive, send)
        self.finished.set()


async def test_while_running_notifications_are_answered_before_their_handler_runs() -> None:
    app = WebhookApp(shutdown_timeout=5)
    release = anyio.Event()
    done: list[str] = []

    @app.on(CallSummary)
    async def slow(event: CallSummary) -> None:
        await release.wait()
        done.append(event.caller_number)

    deliveries = [
        Delivery(app, "callSummary", caller_number=f"+4479000000{n:02d}") for n in range(5)
    ]
    with anyio.fail_after(5):
        async with app, anyio.create_task_group() as tasks:
            for delivery in deliveries:
                tasks.start_soon(delivery.run)
            for delivery in deliveries:
                await delivery.answered.wait()
            assert [d.status for d in deliveries] == [200] * 5
            assert done == []
            release.set()
    assert len(done) == 5


async def test_without_a_lifespan_handlers_run_before_the_answer() -> None:
    app = WebhookApp()
    done: list[str] = []
    app.on(CallSummary)(lambda event: done.append(event.caller_number))
    delivery = Delivery(app, "callSummary")
    await delivery.run()
    assert (delivery.status, done) == (200, ["+447989987123"])


async def test_handlers_still_running_at_timeout_are_reported_dropped() -> None:
    dropped: list[Any] = []
    app = WebhookApp(shutdown_timeout=0.05, on_dropped=dropped.append)

    @app.on(NewChat)
    async def forever(event: NewChat) -> None:
        await anyio.sleep_forever()

    delivery = Delivery(app, "newChat")
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tasks:
            async with app:
                tasks.start_soon(delivery.run)
                await delivery.answered.wait()
            await delivery.finished.wait()
    assert delivery.status == 200
    assert [event.event for event in dropped] == ["newChat"]


async def test_full_pending_set_runs_inline() -> None:
    app = WebhookApp(max_pending=1)
    order: list[str] = []
    release = anyio.Event()

    @app.on(NewChat)
    async def handler(event: NewChat) -> None:
        if event.visitor_name == "first":
            await release.wait()
        order.append(str(event.visitor_name))

    first, second = (
        Delivery(app, "newChat", visitor_name="first"),
        Delivery(app, "newChat", visitor_name="second"),
    )
    with anyio.fail_after(5):
        async with app, anyio.create_task_group() as tasks:
            tasks.start_soon(first.run)
            await first.answered.wait()
            await second.run()
            assert order == ["second"]
            release.set()
    assert order == ["second", "first"]


def test_core_is_sans_io() -> None:
    assert parse_event("text/csv", b"a,b") == Rejection(415, parse_event("text/csv", b"").message)  # type: ignore[union-attr]
    event = parse_event(None, b"event=newChat&visitor_name=Sam")
    assert isinstance(event, NewChat)
    assert event.visitor_name == "Sam"


async def test_a_body_that_never_starts_times_out() -> None:
    app = WebhookApp(body_timeout=0.05)
    replies: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        await anyio.sleep_forever()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        replies.append(message)

    scope = {"type": "http", "method": "POST", "headers": [], "query_string": b"", "path": "/"}
    with anyio.fail_after(2):
        await app(scope, receive, send)
    assert replies[0]["status"] == 408


async def raw_call(
    app: WebhookApp, messages: list[dict[str, Any]], *, gap: float = 0.0, send_delay: float = 0.0
) -> list[dict[str, Any]]:
    """Deliver body messages `gap` seconds apart to a raw ASGI call; a send takes
    `send_delay` seconds, like a server writing to a slow socket."""
    pending = list(messages)
    replies: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if pending:
            if gap and len(pending) < len(messages):
                await anyio.sleep(gap)
            return pending.pop(0)
        await anyio.sleep_forever()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        await anyio.sleep(send_delay)
        replies.append(message)

    content_type, _ = sample_body("callSummary")
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "query_string": b"",
        "headers": [(b"content-type", content_type.encode())],
    }
    with anyio.fail_after(5):
        await app(scope, receive, send)
    return replies


def pieces(event: str, count: int, **overrides: object) -> list[dict[str, Any]]:
    _, body = sample_body(event, **overrides)
    size = -(-len(body) // count)
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return [
        {"type": "http.request", "body": part, "more_body": n < len(parts) - 1}
        for n, part in enumerate(parts)
    ]


async def test_the_body_timeout_covers_the_body_only() -> None:
    app = WebhookApp(body_timeout=0.2)
    done: list[str] = []

    @app.on(CallSummary)
    async def slower_than_the_body_timeout(event: CallSummary) -> None:
        await anyio.sleep(0.3)
        done.append(event.caller_number)

    replies = await raw_call(app, pieces("callSummary", 3), gap=0.03)
    assert replies[0]["status"] == 200
    assert done == ["+447989987123"]


async def test_a_body_arriving_too_slowly_in_pieces_times_out() -> None:
    app = WebhookApp(body_timeout=0.1)
    replies = await raw_call(app, pieces("callSummary", 4), gap=0.05)
    assert replies[0]["status"] == 408


async def test_a_reply_in_time_is_not_cut_short_by_a_slow_send() -> None:
    app = WebhookApp(caller_info_timeout=0.1)

    @app.on(CallerInformation)
    async def who(event: CallerInformation) -> CallerInfoReply:
        await anyio.sleep(0.01)
        return CallerInfoReply(caller_name="Jane Roe")

    replies = await raw_call(app, pieces("callerInformation", 1), send_delay=0.15)
    assert replies[0]["status"] == 200
    assert json.loads(replies[1]["body"])["caller_name"] == "Jane Roe"


async def test_a_slow_chatbot_answers_the_fallback(caplog: pytest.LogCaptureFixture) -> None:
    app = WebhookApp(chatbot_timeout=0.05, chatbot_fallback="One moment please")

    @app.on(ChatbotCallback)
    async def bot(event: ChatbotCallback) -> str:
        await anyio.sleep_forever()
        return "too late"

    with anyio.fail_after(2):
        response = await post_event(app, "chatbotCallback")
    assert (response.status_code, response.text) == (200, "One moment please")
    assert "chatbotCallback handler took over" in caplog.text


async def test_a_slow_handler_using_scopes_and_task_groups_is_cut_off_cleanly() -> None:
    app = WebhookApp(caller_info_timeout=0.05, caller_info_fallback=CallerInfoReply("?"))

    @app.on(CallerInformation)
    async def who(event: CallerInformation) -> CallerInfoReply:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(anyio.sleep, 5)
            with anyio.move_on_after(4):
                await anyio.sleep(5)
        return CallerInfoReply("too late")

    with anyio.fail_after(2):
        first = await post_event(app, "callerInformation")
        second = await post_event(app, "callerInformation")
    assert first.json()["caller_name"] == second.json()["caller_name"] == "?"


async def test_a_reply_echoing_a_lone_surrogate_is_still_answered() -> None:
    app = WebhookApp()

    @app.on(ChatbotCallback)
    async def echo(event: ChatbotCallback) -> str:
        return f"you said {event.original_message}"

    body = b'{"event": "chatbotCallback", "original_message": "\\ud800!"}'
    response = await post_raw(app, body)
    assert (response.status_code, response.text) == (200, "you said ?!")


@pytest.mark.parametrize("key", [lambda e, b: 1 / 0, lambda e, b: ["unhashable"]])
async def test_a_failing_dedupe_key_lets_the_delivery_through(
    key: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = WebhookApp(dedupe=True, dedupe_key=key)
    handled: list[str] = []
    app.on(NewChat)(lambda event: handled.append(event.event))
    responses = [await post_event(app, "newChat") for _ in range(2)]
    assert [r.status_code for r in responses] == [200, 200]
    assert handled == ["newChat", "newChat"]
    assert "dedupe_key failed" in caplog.text


async def test_a_failing_on_dropped_hook_does_not_stop_the_drain(
    caplog: pytest.LogCaptureFixture,
) -> None:
    reported: list[str] = []

    def on_dropped(event: Any) -> None:
        reported.append(event.visitor_name)
        raise RuntimeError("hook broke")

    app = WebhookApp(shutdown_timeout=0.05, on_dropped=on_dropped)

    @app.on(NewChat)
    async def forever(event: NewChat) -> None:
        await anyio.sleep_forever()

    deliveries = [Delivery(app, "newChat", visitor_name=name) for name in ("a", "b")]
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tasks:
            async with app:
                for delivery in deliveries:
                    tasks.start_soon(delivery.run)
                    await delivery.answered.wait()
            for delivery in deliveries:
                await delivery.finished.wait()
    assert sorted(reported) == ["a", "b"]
    assert caplog.text.count("on_dropped failed") == 2


async def test_a_reply_with_values_that_are_not_strings_is_still_answered() -> None:
    app = WebhookApp()
    app.on(CallerInformation)(lambda event: CallerInfoReply(customer_info=Decimal("1.50")))  # type: ignore[arg-type]
    response = await post_event(app, "callerInformation")
    assert (response.status_code, response.json()["customer_info"]) == (200, "1.50")


async def status_of(
    app: WebhookApp,
    headers: list[tuple[bytes, bytes]],
    *,
    client: tuple[str, int] = ("127.0.0.1", 1),
    query: bytes = b"",
) -> int:
    """The status a raw ASGI call with exactly these headers gets."""
    content_type, body = sample_body("newChat")
    replies: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        replies.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "query_string": query,
        "headers": [(b"content-type", content_type.encode()), *headers],
        "client": client,
    }
    await app(scope, receive, send)
    return int(replies[0]["status"])


async def test_forwarded_for_over_several_header_lines_is_one_list() -> None:
    app = WebhookApp(allowed_ips=["203.0.113.0/24"], trusted_proxies=["10.0.0.0/8"])
    two_proxies = [(b"x-forwarded-for", b"203.0.113.7"), (b"x-forwarded-for", b"10.0.0.9")]
    spoofed = [(b"x-forwarded-for", b"198.51.100.1"), (b"x-forwarded-for", b"203.0.113.7")]
    assert await status_of(app, two_proxies, client=("10.0.0.1", 1)) == 200
    assert await status_of(app, spoofed, client=("10.0.0.1", 1)) == 200
    assert await status_of(app, spoofed[::-1], client=("10.0.0.1", 1)) == 403


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("token=s3cr+t/é".encode(), 401),
        ("token=s3cr%2Bt/é".encode(), 200),
        (b"token=s3cr%2Bt%2F%C3%A9", 200),
        (b"a=1&token=s3cr%2Bt/\xc3\xa9&b", 200),
        (b"token=s3cr%2Bt/%E9", 401),
    ],
)
async def test_a_token_in_the_query_is_compared_byte_for_byte(query: bytes, status: int) -> None:
    app = WebhookApp(token="s3cr+t/é")
    assert await status_of(app, [], query=query) == status


async def test_a_content_length_of_thousands_of_digits_is_too_large() -> None:
    assert await status_of(WebhookApp(), [(b"content-length", b"1" * 5000)]) == 413


async def test_a_long_content_length_within_a_huge_limit_is_read() -> None:
    padded = b"0" * 30 + b"41"
    assert await status_of(WebhookApp(max_body_size=10**19), [(b"content-length", padded)]) == 200
    assert await status_of(WebhookApp(), [(b"content-length", padded)]) == 413


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no text for you")


@pytest.mark.parametrize(
    "reply",
    [
        {"caller_name": Unprintable()},
        CallerInfoReply(caller_name=Unprintable()),  # type: ignore[arg-type]
        ["not", "a", "reply"],
    ],
)
async def test_a_caller_reply_that_cannot_be_written_gets_the_fallback(
    reply: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = WebhookApp(caller_info_fallback=CallerInfoReply(caller_name="?"))
    app.on(CallerInformation)(lambda event: reply)
    response = await post_event(app, "callerInformation")
    assert (response.status_code, response.json()["caller_name"]) == (200, "?")
    assert "answered the fallback" in caplog.text


async def test_a_chatbot_reply_that_cannot_be_written_gets_the_fallback() -> None:
    app = WebhookApp(chatbot_fallback="One moment")
    app.on(ChatbotCallback)(lambda event: Unprintable())
    response = await post_event(app, "chatbotCallback")
    assert (response.status_code, response.text) == (200, "One moment")


async def test_caller_reply_values_are_always_strings() -> None:
    app = WebhookApp()
    app.on(CallerInformation)(
        lambda event: {"caller_name": float("nan"), "caller_email": None, "customer_info": 7}
    )
    response = await post_event(app, "callerInformation")
    assert json.loads(response.text, parse_constant=lambda name: pytest.fail(name)) == {
        "status": "success",
        "caller_name": "nan",
        "caller_email": "",
        "customer_info": "7",
    }


async def test_a_lifespan_while_already_running_fails_its_startup() -> None:
    app = WebhookApp()
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async with app:
        await app({"type": "lifespan"}, receive, send)
    assert sent[0]["type"] == "lifespan.startup.failed"
    assert "already running" in sent[0]["message"]


@pytest.mark.parametrize("content_type", ["application/json", None])
async def test_a_body_starting_with_a_byte_order_mark_is_read(content_type: str | None) -> None:
    app = WebhookApp()
    seen: list[str] = []
    app.on(NewChat)(lambda event: seen.append(event.visitor_name))
    body = "\ufeff".encode() + json.dumps({"event": "newChat", "visitor_name": "Sam"}).encode()
    response = await post_raw(app, body, content_type)
    assert (response.status_code, seen) == (200, ["Sam"])


async def test_post_event_headers_replace_the_default_content_type() -> None:
    response = await post_event(WebhookApp(), "newChat", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert response.request.headers.get_list("content-type") == ["text/plain"]


def test_sample_overrides_are_written_as_callsavvy_writes_them() -> None:
    payload = sample_payload(
        "ticketEscalated", ticket_id=42, last_ticket_reply=dt.datetime(2024, 3, 1, 12, 5)
    )
    assert (payload["ticket_id"], payload["last_ticket_reply"]) == ("42", "2024-03-01 12:05:00")
    with pytest.raises(ValueError, match="department"):
        sample_payload("chatbotCallback", department=["a", "b"])
