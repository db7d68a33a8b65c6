"""What every resource module shares: the client handle and argument checks."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from callsavvy_async._errors import InvalidRequestError
from callsavvy_async._pipeline import Decode, RequestOptions

if TYPE_CHECKING:
    from callsavvy_async._client import AsyncCallsavvy

__all__ = [
    "Decode",
    "Period",
    "RequestOptions",
    "Resource",
    "compact",
    "format_period",
    "format_timestamp",
    "required",
]

_T = TypeVar("_T")

Period = dt.date | dt.datetime | str
_PERIOD = re.compile(r"\d{4}-\d{2}(-\d{2}( \d{2}:\d{2}:\d{2})?)?")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


class Resource:
    """One API area, bound to the client whose pipeline it calls."""

    __slots__ = ("_client",)

    def __init__(self, client: AsyncCallsavvy) -> None:
        self._client = client

    async def _request(
        self,
        resource: str,
        body: Mapping[str, Any],
        decode: Decode[_T],
        *,
        write: bool,
        options: RequestOptions,
    ) -> _T:
        return await self._client._request(resource, body, decode, write=write, options=options)


def compact(**fields: Any) -> dict[str, Any]:
    """The request body: optional arguments left as None are omitted, never sent as null."""
    return {name: value for name, value in fields.items() if value is not None}


def required(name: str, value: object) -> str:
    """`value` as a non-empty string, or InvalidRequestError naming the argument."""
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return str(value)
        except ValueError:
            raise InvalidRequestError(f"{name} is too long a number") from None
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequestError(f"{name} is required and must be a non-empty string")
    if not value.isascii() and not _encodable(value):
        raise InvalidRequestError(f"{name} must be valid Unicode text (no lone surrogates)")
    return value


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def optional(name: str, value: object) -> str | None:
    return None if value is None else required(name, value)


def format_timestamp(value: dt.datetime) -> str:
    return _local(value).strftime(TIMESTAMP_FORMAT)


def _local(value: dt.datetime) -> dt.datetime:
    """A naive datetime as it is: the API reads times as the account's local time, which
    the client does not know, so a datetime with a timezone would land at the wrong moment."""
    if value.tzinfo is not None:
        raise InvalidRequestError(
            "pass a naive datetime in the account's local time; one with a timezone "
            f"({value.tzname()}) cannot be converted without knowing the account's zone"
        )
    return value


def format_period(value: Period | None, *, date_only: bool = False) -> str | None:
    """A date, datetime, "YYYY-MM", "YYYY-MM-DD" (or "YYYY-MM-DD HH:MM:SS") as the API's
    `datetime` filter; with `date_only` a time part is dropped (listMeetings)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return _local(value).strftime("%Y-%m-%d" if date_only else TIMESTAMP_FORMAT)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and _PERIOD.fullmatch(value.strip()):
        text = value.strip()
        _check_calendar(text)
        return text[:10] if date_only else text
    raise InvalidRequestError(
        f"period must be a date, a datetime, 'YYYY-MM' or 'YYYY-MM-DD', got {value!r}"
    )


def _check_calendar(text: str) -> None:
    formats = {7: "%Y-%m", 10: "%Y-%m-%d", 19: TIMESTAMP_FORMAT}
    try:
        dt.datetime.strptime(text, formats[len(text)])
    except ValueError:
        raise InvalidRequestError(f"period {text!r} is not a real date") from None
