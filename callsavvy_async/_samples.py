"""Realistic payloads of the six webhook events, shared by the sandbox's emitter and
`callsavvy_async.testing`."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from urllib.parse import urlencode

from callsavvy_async._event_names import (
    CALL_SUMMARY,
    CALLER_INFORMATION,
    CHATBOT_CALLBACK,
    EVENT_NAMES,
    FORM_EVENTS,
    NEW_CHAT,
    NEW_TICKET_OPENED,
    TICKET_ESCALATED,
)

__all__ = ["EVENT_NAMES", "FORM_EVENTS", "encode_event", "sample_payload"]

_SAMPLES: dict[str, dict[str, str]] = {
    CALLER_INFORMATION: {
        "call_department": "dpt01",
        "caller_number": "+447989987123",
        "call_status": "routing",
    },
    CALL_SUMMARY: {
        "call_direction": "Incoming",
        "call_department": "dpt01",
        "caller_number": "+447989987123",
        "recording_url": "https://recordings.sandbox.invalid/cll01.mp3",
        "call_duration": "184",
        "call_status": "finished",
    },
    NEW_TICKET_OPENED: {
        "ticket_id": "tkt01",
        "ticket_department": "dpt01",
        "ticket_subject": "Where is my refund?",
        "sender_email": "jane@example.com",
        "ticket_status": "New",
    },
    TICKET_ESCALATED: {
        "ticket_id": "tkt01",
        "ticket_department": "dpt01",
        "last_ticket_reply": "2024-03-14 09:12:00",
        "ticket_subject": "Where is my refund?",
        "sender_email": "jane@example.com",
        "ticket_status": "Awaiting Agent Reply",
    },
    NEW_CHAT: {
        "chat_department": "dpt01",
        "visitor_name": "Sam Visitor",
        "visitor_email": "sam@example.com",
        "visitor_phone": "+2348012345678",
    },
    CHATBOT_CALLBACK: {
        "original_message": "What are your opening hours?",
        "sender_name": "Sam Visitor",
        "bot_name": "Helper",
        "department": "Support",
        "business_name": "Acme Ltd",
    },
}


def sample_payload(event: str, **overrides: object) -> dict[str, object]:
    """The vendor-documented payload of `event` with real values; `overrides` replace or
    add keys, and an override of None removes the key."""
    if event not in _SAMPLES:
        raise ValueError(f"unknown event {event!r}; known: {', '.join(EVENT_NAMES)}")
    payload: dict[str, object] = {"event": event, **_SAMPLES[event]}
    if event == TICKET_ESCALATED and "last_ticket_reply" not in overrides:
        payload["last_ticket_reply"] = dt.datetime(2024, 3, 14, 9, 12).strftime("%Y-%m-%d %H:%M:%S")
    for key, value in overrides.items():
        if value is None:
            payload.pop(key, None)
        else:
            payload[key] = _as_sent(key, value)
    return payload


def _as_sent(key: str, value: object) -> str:
    """An override as Callsavvy writes every webhook value: a string, times as
    "YYYY-MM-DD HH:MM:SS"."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, str | int | float | Decimal | dt.date) and not isinstance(value, bool):
        return str(value)
    raise ValueError(
        f"override {key}= must be text, a number or a datetime, not {type(value).__name__}"
    )


def encode_event(payload: dict[str, object]) -> tuple[str, bytes]:
    """Content type and body as Callsavvy sends them: form-encoded for chatbotCallback,
    JSON for the rest."""
    if payload.get("event") in FORM_EVENTS:
        form = urlencode({key: str(value) for key, value in payload.items()})
        return "application/x-www-form-urlencoded", form.encode()
    return "application/json", json.dumps(payload).encode()
