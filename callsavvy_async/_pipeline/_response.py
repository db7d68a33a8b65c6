"""Reading the API's answer: the JSON envelope's data, or the right APIError subclass."""

from __future__ import annotations

import json
from typing import Any

import httpx

from callsavvy_async._errors import (
    APIError,
    AuthenticationError,
    RateLimitError,
    ServerError,
    UnexpectedResponseError,
)
from callsavvy_async._pipeline._retry import parse_retry_after

__all__ = ["EXCERPT_CHARS", "excerpt", "read_envelope", "redact"]

EXCERPT_CHARS = 200
_CREDENTIAL_WORDS = ("credential", "api key", "public key", "private key", "unauthori")


def excerpt(response: httpx.Response) -> str:
    """The start of the body as text, short enough for an error message."""
    text = response.content[: EXCERPT_CHARS * 4].decode("utf-8", "replace")
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def _decode_json(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except (ValueError, RecursionError):
        return None


def _envelope_message(payload: Any, default: str) -> str:
    if isinstance(payload, dict) and isinstance(payload.get("message"), str):
        return payload["message"] or default
    return default


def _is_credentials_message(message: str) -> bool:
    lowered = message.lower()
    return any(word in lowered for word in _CREDENTIAL_WORDS)


def redact(error: APIError, secret: str) -> None:
    """Blank the private key out of an error made of the server's words (a server that
    echoes the key it refused would otherwise put it in logs and tracebacks)."""
    if secret in error.message:
        error.message = error.message.replace(secret, "***")
        error.args = (error.message,)
    if isinstance(error.body, str):
        error.body = error.body.replace(secret, "***")
    elif error.body is not None:
        text = json.dumps(error.body)
        escaped = json.dumps(secret)[1:-1]
        if escaped in text:
            error.body = json.loads(text.replace(escaped, "***"))


def read_envelope(resource: str, response: httpx.Response) -> Any:
    """Return the envelope's `data` for a success, raise the matching APIError otherwise."""
    status = response.status_code
    payload = _decode_json(response)
    is_envelope = isinstance(payload, dict) and isinstance(payload.get("status"), str)
    if 200 <= status < 300 and is_envelope and payload["status"] == "success":
        return payload.get("data")

    body = payload if is_envelope else excerpt(response)
    reason = response.reason_phrase or f"HTTP {status}"

    def error(cls: type[APIError], message: str) -> APIError:
        return cls(message, resource=resource, status_code=status, body=body, response=response)

    if status >= 500:
        raise error(ServerError, _envelope_message(payload, reason))
    if status == 429:
        raise RateLimitError(
            _envelope_message(payload, reason),
            resource=resource,
            body=body,
            response=response,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )
    if status in (401, 403):
        raise error(AuthenticationError, _envelope_message(payload, reason))
    if not is_envelope:
        raise error(
            UnexpectedResponseError,
            f"expected the JSON envelope, got {body!r}"
            if body
            else "expected the JSON envelope, got an empty body",
        )
    message = _envelope_message(payload, "the request failed")
    raise error(AuthenticationError if _is_credentials_message(message) else APIError, message)
