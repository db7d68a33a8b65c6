"""No input makes the webhook app answer 5xx or show a traceback."""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callsavvy_async.webhooks import WebhookApp
from callsavvy_async.webhooks.events import EVENT_TYPES

APP = WebhookApp(max_body_size=2048, caller_info_timeout=0.2, dedupe=True)


@APP.on("callerInformation")
def echo_caller(event: Any) -> dict[str, Any]:
    """Replies built from whatever arrived, as a careless handler would."""
    return {"caller_name": event.caller_number, "customer_info": dict(event.extra)}


@APP.on("chatbotCallback")
def echo_chatbot(event: Any) -> str:
    return f"{event.original_message} {event.sender_name} {dict(event.extra)}"


for name in ("callSummary", "newTicketOpened", "ticketEscalated", "newChat"):
    APP.on(name)(repr)

ANY_TEXT = st.text(st.characters(exclude_categories=()))

CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/x-www-form-urlencoded",
        "text/plain",
        "",
        "application/json; charset=latin-1",
        "multipart/form-data",
    ]
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
    max_leaves=8,
)
PAYLOADS = st.fixed_dictionaries(
    {"event": st.sampled_from([*EVENT_TYPES, "other", ""]) | JSON_VALUES},
    optional=dict.fromkeys(
        (
            "caller_number",
            "ticket_id",
            "ticket_status",
            "recording_url",
            "original_message",
            "sender_name",
            "call_duration",
            "last_ticket_reply",
            "surprise",
        ),
        JSON_VALUES | ANY_TEXT,
    ),
)


def post(body: bytes | list[bytes], content_type: str) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=APP)
        headers = {"content-type": content_type} if content_type else {}
        content: Any = body if isinstance(body, bytes) else _chunks(body)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            return await http.post("/", content=content, headers=headers)

    return anyio.run(send)


async def _chunks(parts: list[bytes]) -> Any:
    for part in parts:
        yield part


def assert_safe(response: httpx.Response) -> None:
    assert response.status_code < 500
    assert "Traceback" not in response.text


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(body=st.binary(max_size=4096), content_type=CONTENT_TYPES)
def test_random_bytes(body: bytes, content_type: str) -> None:
    assert_safe(post(body, content_type))


@FUZZ
@given(payload=PAYLOADS, content_type=st.sampled_from(["application/json", ""]))
def test_random_json_and_wrong_types(payload: dict[str, Any], content_type: str) -> None:
    assert_safe(post(json.dumps(payload).encode(), content_type))


@FUZZ
@given(payload=PAYLOADS)
def test_random_forms(payload: dict[str, Any]) -> None:
    from urllib.parse import urlencode

    body = urlencode(
        {k: json.dumps(v) if not isinstance(v, str) else v for k, v in payload.items()},
        errors="surrogatepass",
    )
    assert_safe(post(body.encode(), "application/x-www-form-urlencoded"))


@settings(max_examples=30, deadline=None)
@given(parts=st.lists(st.binary(min_size=1, max_size=900), min_size=1, max_size=8))
def test_chunked_and_huge_bodies(parts: list[bytes]) -> None:
    response = post(parts, "application/json")
    assert_safe(response)
    if sum(map(len, parts)) > 2048:
        assert response.status_code == 413
