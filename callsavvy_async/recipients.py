"""Phone numbers: normalisation to E.164 and the recipient lists of single sends."""

from __future__ import annotations

import re
from collections.abc import Iterable

from callsavvy_async._errors import InvalidRequestError

__all__ = ["InvalidNumberError", "normalise_number", "recipient_list"]

_SEPARATORS = str.maketrans("", "", " \t-.()[]/\u00a0")
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")


class InvalidNumberError(InvalidRequestError):
    """A recipient is not a phone number in international format; `reason` says why."""

    def __init__(self, number: str, reason: str) -> None:
        super().__init__(f"invalid recipient {number!r}: {reason}")
        self.number = number
        self.reason = reason


def normalise_number(raw: str) -> str:
    """Return `raw` as E.164 (`+` and 8 to 15 digits), dropping spaces, dashes, dots and
    brackets and turning a leading `00` into `+`; raise InvalidNumberError otherwise."""
    if not isinstance(raw, str):
        raise InvalidNumberError(repr(raw), "not a string")
    number = raw.translate(_SEPARATORS)
    if number.startswith("00"):
        number = "+" + number[2:]
    if _E164.fullmatch(number):
        return number
    if not number:
        reason = "empty"
    elif not number.startswith("+"):
        reason = "must start with + or 00 and the country code"
    elif not number[1:].isdigit():
        reason = "contains characters other than digits"
    else:
        reason = "must have 8 to 15 digits after +, the first not 0"
    raise InvalidNumberError(raw, reason)


def recipient_list(recipients: str | Iterable[str]) -> list[str]:
    """Normalise a comma-separated string or an iterable of numbers, dropping repeats."""
    items = recipients.split(",") if isinstance(recipients, str) else recipients
    numbers = dict.fromkeys(normalise_number(item) for item in items)
    if not numbers:
        raise InvalidRequestError("recipients: at least one recipient is required")
    return list(numbers)
