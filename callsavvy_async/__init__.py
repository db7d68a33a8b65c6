"""Async SDK, bulk sender and webhook toolkit for the Callsavvy API."""

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

__all__ = [
    "APIConnectionError",
    "APIError",
    "APITimeoutError",
    "AuthenticationError",
    "CallsavvyError",
    "InvalidRequestError",
    "OutcomeUnknownError",
    "RateLimitError",
    "ServerError",
    "UnexpectedResponseError",
    "__version__",
]
