"""Per-request options every resource method takes, and how they apply to a request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, TypedDict

import httpx

from callsavvy_async._errors import InvalidRequestError

__all__ = ["KEY_HEADERS", "RequestOptions", "as_timeout", "check_headers", "check_options"]

KEY_HEADERS: Final = frozenset({"public-key", "private-key"})
"""Set from the client's keys only: an extra header cannot replace them by accident."""


class RequestOptions(TypedDict, total=False):
    """Keyword-only options of every resource method.

    extra_headers: merged over the client's default headers (not the key headers).
    extra_body: merged into the JSON body, for fields the SDK does not model yet.
    timeout: this call's timeout, instead of the client's.
    """

    extra_headers: Mapping[str, str] | None
    extra_body: Mapping[str, Any] | None
    timeout: float | httpx.Timeout | None


_NAMES: Final = frozenset(RequestOptions.__annotations__)


def check_options(options: Mapping[str, Any]) -> None:
    """InvalidRequestError naming any option that is not a RequestOptions key."""
    unknown = sorted(set(options) - _NAMES)
    if unknown:
        raise InvalidRequestError(
            f"unknown option {', '.join(map(repr, unknown))}: the per-request options are "
            f"{', '.join(sorted(_NAMES))}"
        )


def check_headers(headers: Mapping[str, str] | None, what: str) -> dict[str, str]:
    """`headers` as a dict, refusing the key headers (pass the keys to the client)."""
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise InvalidRequestError(f"{what} must be a mapping of header names to strings")
    taken = sorted(name for name in headers if str(name).lower() in KEY_HEADERS)
    if taken:
        raise InvalidRequestError(
            f"{what} cannot set {', '.join(taken)}: the keys come from public_key and "
            "private_key (make another client for other keys)"
        )
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise InvalidRequestError(f"{what} must map header names to strings")
    return dict(headers)


def as_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    """A timeout argument as httpx.Timeout (None: no limit, as in httpx)."""
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int | float)):
        raise InvalidRequestError("timeout must be a number of seconds, an httpx.Timeout or None")
    return httpx.Timeout(timeout)
