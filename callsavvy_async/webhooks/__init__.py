"""Receive Callsavvy's webhooks: `WebhookApp` (raw ASGI) and the typed events.

webhooks = WebhookApp(token="s3cret")

@webhooks.on(CallerInformation)
async def who(event: CallerInformation) -> CallerInfoReply:
    return CallerInfoReply(caller_name="Jane Roe")
"""

from callsavvy_async.webhooks._core import Rejection, parse_event
from callsavvy_async.webhooks.app import WebhookApp
from callsavvy_async.webhooks.events import (
    CallerInfoReply,
    CallerInformation,
    CallSummary,
    ChatbotCallback,
    Event,
    NewChat,
    NewTicketOpened,
    TicketEscalated,
    UnknownEvent,
)

__all__ = [
    "CallSummary",
    "CallerInfoReply",
    "CallerInformation",
    "ChatbotCallback",
    "Event",
    "NewChat",
    "NewTicketOpened",
    "Rejection",
    "TicketEscalated",
    "UnknownEvent",
    "WebhookApp",
    "parse_event",
]
