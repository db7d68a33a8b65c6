"""When a failed request may be sent again, and how long to wait first.

Reads are idempotent and retry on any transient failure. Writes (sends, creates, replies,
deletes) cost money or change state and the API has no idempotency key, so they are
retried only when the request provably never reached the application: the connection
failed to open, no pooled connection was free, or the server answered 429.
"""

from __future__ import annotations

import email.utils
import math
import random
import time

import anyio
import attrs
import httpx

__all__ = ["RetryPolicy", "parse_retry_after", "sleep"]

sleep = anyio.sleep

RETRYABLE_READ_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
NOT_SENT_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
"""Failures that happen before a single byte of the request left this process."""


@attrs.frozen
class RetryPolicy:
    """How many retries, and exponential backoff with full jitter between them."""

    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `attempt` (0-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        ceiling = min(self.max_delay, self.base_delay * (2**attempt))
        return random.uniform(0.0, ceiling)

    def should_retry_status(self, status_code: int, *, write: bool) -> bool:
        """A write is retried only on 429: any other answer may mean it was processed."""
        if write:
            return status_code == 429
        return status_code in RETRYABLE_READ_STATUSES or status_code >= 500

    def should_retry_exception(self, exc: httpx.RequestError, *, write: bool) -> bool:
        return isinstance(exc, NOT_SENT_ERRORS) or not write


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header given as seconds or as an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError, OverflowError):
            return None
    return max(seconds, 0.0) if math.isfinite(seconds) else None
