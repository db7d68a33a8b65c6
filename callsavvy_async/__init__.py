"""Async SDK, bulk sender and webhook toolkit for the Callsavvy API."""

from callsavvy_async._client import AsyncCallsavvy
from callsavvy_async._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    CallsavvyError,
    InvalidRequestError,
    OutcomeUnknownError,
    RateLimitError,
    ServerError,
    UnexpectedResponseError,
)
from callsavvy_async._version import __version__
from callsavvy_async.journal import JournalInUseError, JournalMismatchError
from callsavvy_async.models import (
    AccountSummary,
    Agent,
    Call,
    Category,
    Chat,
    Contact,
    ContactGroup,
    CreatedTicket,
    Department,
    Meeting,
    MessengerChat,
    SendResult,
    Ticket,
    TicketMessage,
    TicketReply,
)
from callsavvy_async.recipients import InvalidNumberError

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AccountSummary",
    "Agent",
    "AsyncCallsavvy",
    "AuthenticationError",
    "Call",
    "CallsavvyError",
    "Category",
    "Chat",
    "Contact",
    "ContactGroup",
    "CreatedTicket",
    "Department",
    "InvalidNumberError",
    "InvalidRequestError",
    "JournalInUseError",
    "JournalMismatchError",
    "Meeting",
    "MessengerChat",
    "OutcomeUnknownError",
    "RateLimitError",
    "SendResult",
    "ServerError",
    "Ticket",
    "TicketMessage",
    "TicketReply",
    "UnexpectedResponseError",
    "__version__",
]
