"""The names of the webhook events Callsavvy sends (a payload's "event"): the one list the
webhook receiver, the sample payloads and the sandbox's emitter share."""

from __future__ import annotations

__all__ = [
    "CALLER_INFORMATION",
    "CALL_SUMMARY",
    "CHATBOT_CALLBACK",
    "EVENT_NAMES",
    "FORM_EVENTS",
    "NEW_CHAT",
    "NEW_TICKET_OPENED",
    "TICKET_ESCALATED",
]

CALLER_INFORMATION = "callerInformation"
CALL_SUMMARY = "callSummary"
NEW_TICKET_OPENED = "newTicketOpened"
TICKET_ESCALATED = "ticketEscalated"
NEW_CHAT = "newChat"
CHATBOT_CALLBACK = "chatbotCallback"

EVENT_NAMES: tuple[str, ...] = (
    CALLER_INFORMATION,
    CALL_SUMMARY,
    NEW_TICKET_OPENED,
    TICKET_ESCALATED,
    NEW_CHAT,
    CHATBOT_CALLBACK,
)
FORM_EVENTS = frozenset({CHATBOT_CALLBACK})
"""Events Callsavvy posts form-encoded; the others arrive as JSON."""
