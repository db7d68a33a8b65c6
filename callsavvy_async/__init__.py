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
    UnknownJobError,
    VolatileRedisError,
)
from callsavvy_async._logs import setup_logging
from callsavvy_async._pipeline import RawResponse, RequestOptions
from callsavvy_async._sync import Callsavvy
from callsavvy_async._version import __version__
from callsavvy_async.bulk import JournalInUseError, JournalMismatchError
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
    "Callsavvy",
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
    "RawResponse",
    "RequestOptions",
    "RateLimitError",
    "SendResult",
    "ServerError",
    "Ticket",
    "TicketMessage",
    "TicketReply",
    "UnexpectedResponseError",
    "UnknownJobError",
    "VolatileRedisError",
    "__version__",
]

setup_logging()
