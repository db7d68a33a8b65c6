"""Webhook events as Callsavvy posts them, filled from the sandbox's own records so an
event names a real department, ticket, call or chat. Building and encoding the payload is
`callsavvy_async._samples`' job, so the sandbox and users' tests send the same bytes."""

from __future__ import annotations

from collections.abc import Mapping

from callsavvy_async._event_names import (
    CALL_SUMMARY,
    CALLER_INFORMATION,
    CHATBOT_CALLBACK,
    EVENT_NAMES,
    NEW_CHAT,
    NEW_TICKET_OPENED,
    TICKET_ESCALATED,
)
from callsavvy_async._samples import encode_event, sample_payload
from callsavvy_async.sandbox._fields import Record
from callsavvy_async.sandbox._state import State

__all__ = ["EVENT_NAMES", "encoded_event", "state_fields"]

BOT_QUESTION = "What are your opening hours on Saturday?"


def encoded_event(event_name: str, fields: Mapping[str, object]) -> tuple[str, bytes]:
    """Content type and body of `event_name` with `fields` (None leaves a field out; an
    "event" field replaces the wire name, to try unknown events): JSON, or form-encoded
    for chatbotCallback."""
    payload = sample_payload(event_name, **{k: v for k, v in fields.items() if k != "event"})
    if fields.get("event") is not None:
        payload["event"] = fields["event"]
    return encode_event(payload)


def state_fields(state: State, event_name: str) -> Record:
    """Every documented field of `event_name`, taken from the newest matching record."""
    if event_name in (CALLER_INFORMATION, CALL_SUMMARY):
        return _call_fields(state, event_name)
    if event_name in (NEW_TICKET_OPENED, TICKET_ESCALATED):
        return _ticket_fields(state, event_name)
    if event_name == NEW_CHAT:
        chat = state.chats[-1]
        return {
            "chat_department": chat["department_id"],
            "visitor_name": chat["visitor_name"],
            "visitor_email": chat["visitor_email"],
            "visitor_phone": chat["visitor_phone"],
        }
    if event_name == CHATBOT_CALLBACK:
        visitor = state.messengers[-1]
        return {
            "original_message": BOT_QUESTION,
            "sender_name": visitor["visitor_name"],
            "bot_name": "Ada",
            "department": state.departments[visitor["department_id"]]["department_name"],
            "business_name": state.business_name,
        }
    raise ValueError(f"unknown webhook event {event_name!r}; known: {', '.join(EVENT_NAMES)}")


def _call_fields(state: State, event_name: str) -> Record:
    incoming = (call for call in reversed(state.calls) if call["direction"] == "Incoming")
    call = next(incoming, state.calls[-1])
    if event_name == CALLER_INFORMATION:
        return {
            "call_department": call["department_id"],
            "caller_number": call["caller"],
            "call_status": "routing",
        }
    return {
        "call_direction": call["direction"],
        "call_department": call["department_id"],
        "caller_number": call["caller"],
        "recording_url": call["recording_url"],
        "call_duration": call["duration"],
        "call_status": "finished",
    }


def _ticket_fields(state: State, event_name: str) -> Record:
    tickets = list(state.tickets.values())
    if event_name == NEW_TICKET_OPENED:
        ticket = tickets[-1]
        return {
            "ticket_id": ticket["ticket_id"],
            "ticket_department": ticket["department_id"],
            "ticket_subject": ticket["subject"],
            "sender_email": ticket["sender_email"],
            "ticket_status": "New",
        }
    waiting = [ticket for ticket in tickets if ticket["ticket_status"] == "Awaiting Agent Reply"]
    ticket = (waiting or tickets)[0]
    return {
        "ticket_id": ticket["ticket_id"],
        "ticket_department": ticket["department_id"],
        "last_ticket_reply": ticket["last_reply"],
        "ticket_subject": ticket["subject"],
        "sender_email": ticket["sender_email"],
        "ticket_status": ticket["ticket_status"],
    }
