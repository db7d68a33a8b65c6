"""The options every bulk send takes, typed: a misspelt option is a mypy error, and at run
time an InvalidRequestError naming it."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypedDict

import attrs

from callsavvy_async._errors import InvalidRequestError

if TYPE_CHECKING:
    from callsavvy_async.bulk._report import BulkReport
    from callsavvy_async.bulk._store import JobStore

__all__ = ["BulkOptions", "JobOptions", "ProgressCallback", "job_options"]

ProgressCallback = Callable[["BulkReport"], None]


class BulkOptions(TypedDict, total=False):
    """Keyword options of `send_bulk` and `send_bulk_iter` (all optional).

    concurrency: batches in flight (default 8; the client's pool must hold as many).
    rate_per_second: at most this many requests (batches) per second.
    journal: a SQLite file to resume from, or a JobStore (a RedisJournal, say).
    job_id: names the job, so a re-run with another message or list is the same job.
    resend_unknown: on a re-run, send batches whose outcome was unknown again.
    strict_numbers: validate numbers with `phonenumbers` (the extra of that name).
    on_progress: called with the running report after each batch.
    """

    concurrency: int
    rate_per_second: float | None
    journal: str | os.PathLike[str] | JobStore | None
    job_id: str | None
    resend_unknown: bool
    strict_numbers: bool
    on_progress: ProgressCallback | None


@attrs.frozen
class JobOptions:
    """Bulk options after checking, with their defaults."""

    concurrency: int = 8
    rate_per_second: float | None = None
    journal: str | os.PathLike[str] | JobStore | None = None
    job_id: str | None = None
    resend_unknown: bool = False
    strict_numbers: bool = False
    on_progress: ProgressCallback | None = None


_NAMES = frozenset(BulkOptions.__annotations__)


def job_options(options: Mapping[str, Any], *, batch_size: int) -> JobOptions:
    """Check `options` (names and values) and fill in the defaults."""
    unknown = sorted(set(options) - _NAMES)
    if unknown:
        raise InvalidRequestError(
            f"unknown bulk option {', '.join(map(repr, unknown))}; "
            f"the options are {', '.join(sorted(_NAMES))}"
        )
    checked = JobOptions(**options)
    if not _whole(checked.concurrency) or checked.concurrency < 1:
        raise InvalidRequestError("concurrency must be a whole number, at least 1")
    if not _whole(batch_size) or batch_size < 1:
        raise InvalidRequestError("batch_size must be a whole number, at least 1")
    rate = checked.rate_per_second
    if rate is not None and not _positive(rate):
        raise InvalidRequestError("rate_per_second must be a positive number")
    return checked


def check_pool(concurrency: int, max_connections: int) -> None:
    """Refuse a concurrency the client's pool cannot hold."""
    if concurrency > max_connections:
        raise InvalidRequestError(
            f"concurrency {concurrency} exceeds the client's max_connections "
            f"{max_connections}: slow batches would starve the others into pool timeouts; "
            f"create the client with max_connections={concurrency} or more"
        )


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _positive(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )
