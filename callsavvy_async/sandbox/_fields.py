"""Reading request fields and writing record fields the way the vendor's API does.

Records are plain dicts of strings (numbers as strings, "YYYY-MM-DD HH:MM:SS" times,
"true"/"false"), so they go into the envelope as they are.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from typing import Any

__all__ = [
    "TIMESTAMP",
    "Body",
    "Record",
    "Rejected",
    "choice",
    "in_period",
    "optional",
    "period",
    "phone_number",
    "required",
    "stamp",
]

Record = dict[str, str]
Body = dict[str, Any]
TIMESTAMP = "%Y-%m-%d %H:%M:%S"
_PERIOD_FORMATS = {7: "%Y-%m", 10: "%Y-%m-%d", 19: TIMESTAMP}
_INTERNATIONAL = re.compile(r"\+[1-9][0-9]{7,14}")
_PERIOD_NAMES = {7: "YYYY-MM", 10: "YYYY-MM-DD", 19: "YYYY-MM-DD HH:MM:SS"}


class Rejected(Exception):
    """The request is refused with the error envelope, `message` and HTTP `status`."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def stamp(moment: dt.datetime) -> str:
    return moment.strftime(TIMESTAMP)


def optional(body: Body, name: str) -> str | None:
    """The field as a stripped string; None when absent or empty (the API ignores those)."""
    value = body.get(name)
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    text = str(value).strip()
    return text or None


def required(body: Body, name: str) -> str:
    value = optional(body, name)
    if value is None:
        raise Rejected(f"{name} is required")
    return value


def required_text(body: Body, name: str) -> str:
    """A free-text field (a message body) exactly as sent, spaces and newlines kept: they
    count towards an SMS's pages and are what the recipient reads. Required, not blank."""
    required(body, name)
    return str(body[name])


def choice(body: Body, name: str, allowed: Collection[str]) -> str | None:
    """An optional field that must be one of `allowed` when given."""
    value = optional(body, name)
    if value is not None and value not in allowed:
        raise Rejected(f"{name} must be one of: {', '.join(allowed)}")
    return value


def period(body: Body, *, lengths: Collection[int] = (7, 10, 19)) -> str | None:
    """The `datetime` filter: "YYYY-MM", "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS" (as allowed)."""
    value = optional(body, "datetime")
    if value is None:
        return None
    refusal = Rejected("datetime must be " + " or ".join(_PERIOD_NAMES[n] for n in lengths))
    if len(value) not in lengths or not re.fullmatch(r"[0-9: -]+", value):
        raise refusal
    try:
        dt.datetime.strptime(value, _PERIOD_FORMATS[len(value)])
    except ValueError:
        raise refusal from None
    return value


def in_period(record: Record, wanted: str | None) -> bool:
    """Whether the record's time falls in the month, the day or the exact second given."""
    return wanted is None or record["datetime"].startswith(wanted)


def phone_number(text: str, field: str) -> str:
    """`text` when it is a number in international format (+ and 8 to 15 digits)."""
    number = text.strip()
    if not _INTERNATIONAL.fullmatch(number):
        raise Rejected(f"Invalid {field} number {number!r}: use the international format")
    return number
