"""The exception hierarchy: one base class, split by what the caller can do next."""

from __future__ import annotations

from typing import Any

import httpx

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
    "UnknownJobError",
    "VolatileRedisError",
]


class CallsavvyError(Exception):
    """Base class of every error this package raises."""


class InvalidRequestError(CallsavvyError, ValueError):
    """Bad arguments, caught before anything was sent."""


class APIError(CallsavvyError):
    """The server answered, and the answer was not a success. `response` is the
    httpx.Response (None when the error was not made from one) and `headers` its headers."""

    def __init__(
        self,
        message: str,
        *,
        resource: str,
        status_code: int | None = None,
        body: Any = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.resource = resource
        self.status_code = status_code
        self.body = body
        self.response = response

    @property
    def headers(self) -> httpx.Headers:
        """The answer's headers (empty when there is no response)."""
        return self.response.headers if self.response is not None else httpx.Headers()

    def __str__(self) -> str:
        status = f" (HTTP {self.status_code})" if self.status_code is not None else ""
        return f"{self.resource}: {self.message}{status}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, resource={self.resource!r}, "
            f"status_code={self.status_code!r})"
        )


class AuthenticationError(APIError):
    """The keys were refused (an error envelope about credentials, or HTTP 401/403)."""


class RateLimitError(APIError):
    """HTTP 429; `retry_after` is the server's requested pause in seconds, if it gave one."""

    def __init__(
        self,
        message: str,
        *,
        resource: str,
        status_code: int | None = 429,
        body: Any = None,
        response: httpx.Response | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(
            message, resource=resource, status_code=status_code, body=body, response=response
        )
        self.retry_after = retry_after


class ServerError(APIError):
    """HTTP 5xx, whatever the body."""


class UnexpectedResponseError(APIError):
    """An answer that is not the API's JSON envelope (an HTML proxy page, an empty body)."""


class APIConnectionError(CallsavvyError):
    """Nothing usable came back from the server."""

    def __init__(self, message: str, *, resource: str) -> None:
        super().__init__(f"{resource}: {message}")
        self.message = message
        self.resource = resource


class APITimeoutError(APIConnectionError):
    """The request timed out before an answer arrived."""


class OutcomeUnknownError(APIConnectionError):
    """A write may have been processed although no answer confirms it: do not blindly resend."""


class VolatileRedisError(InvalidRequestError):
    """The Redis server can lose acknowledged writes (appendonly off, or appendfsync not
    always): a claim lost in a crash would mean a recipient messaged twice."""


class UnknownJobError(InvalidRequestError):
    """No distributed job of that id was ever submitted to this Redis."""
