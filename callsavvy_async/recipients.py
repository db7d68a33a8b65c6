"""Phone numbers: normalisation to E.164, recipient lists of single sends, and the lazy
recipient sources of bulk sends."""

from __future__ import annotations

import codecs
import csv
import functools
import os
import re
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Callable,
    Iterable,
    Iterator,
)
from contextlib import contextmanager
from typing import TYPE_CHECKING

import anyio
import attrs

from callsavvy_async._errors import InvalidRequestError

if TYPE_CHECKING:
    from _csv import Reader

__all__ = [
    "InvalidNumberError",
    "Source",
    "iter_recipients",
    "normalise_number",
    "recipient_list",
    "strict_normaliser",
]

_SEPARATORS = str.maketrans("", "", " \t-.()[]/\u00a0")
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")


class InvalidNumberError(InvalidRequestError):
    """A recipient is not a phone number in international format; `reason` says why."""

    def __init__(self, number: str, reason: str) -> None:
        super().__init__(f"invalid recipient {number!r}: {reason}")
        self.number = number
        self.reason = reason


def normalise_number(raw: str) -> str:
    """Return `raw` as E.164 (`+` and 8 to 15 digits), dropping spaces, dashes, dots,
    brackets and a bracketed trunk prefix ("+44 (0) 7989 ...") and turning a leading `00`
    into `+`; raise InvalidNumberError otherwise."""
    if not isinstance(raw, str):
        raise InvalidNumberError(repr(raw), "not a string")
    number = raw.replace("(0)", "").translate(_SEPARATORS)
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
    if isinstance(recipients, str):
        items: Iterable[str] = _split(recipients)
    elif isinstance(recipients, Iterable):
        items = recipients
    else:
        raise InvalidRequestError(_NOT_RECIPIENTS.format(type(recipients).__name__))
    numbers = dict.fromkeys(normalise_number(item) for item in items)
    if not numbers:
        raise InvalidRequestError("recipients: at least one recipient is required")
    return list(numbers)


Source = str | os.PathLike[str] | Iterable[str] | AsyncIterable[str]
"""Recipients of a bulk send: a comma-separated string, a CSV or text file path, or an
(async) iterable of numbers."""

CSV_COLUMNS = ("phone", "number", "recipient")
_NOT_RECIPIENTS = "recipients must be numbers as a comma-separated string or an iterable, not {}"
_READ_ROWS = 2048
_SCAN_BYTES = 1 << 16


def strict_normaliser() -> Callable[[str], str]:
    """A normaliser that also checks numbers against phonenumbers' metadata (opt-in)."""
    try:
        import phonenumbers
    except ModuleNotFoundError:
        raise InvalidRequestError(
            "strict_numbers=True needs the phonenumbers extra: "
            "pip install 'callsavvy-async[phonenumbers]'"
        ) from None

    def normalise_strictly(raw: str) -> str:
        number = normalise_number(raw)
        try:
            parsed = phonenumbers.parse(number, None)
        except phonenumbers.NumberParseException:
            raise InvalidNumberError(raw, "not a phone number") from None
        if not phonenumbers.is_valid_number(parsed):
            raise InvalidNumberError(raw, "not a valid number for its country")
        return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))

    return normalise_strictly


def _split(text: str) -> list[str]:
    """The items of a comma-separated string, blank ones (a trailing comma) dropped."""
    return [item for item in text.split(",") if item.strip()]


async def iter_recipients(source: Source) -> AsyncGenerator[str, None]:
    """Yield the raw recipients of `source` one by one, reading files and iterables lazily."""
    if isinstance(source, str):
        for item in _split(source):
            yield item
    elif isinstance(source, os.PathLike):
        async for item in _iter_file(os.fspath(source)):
            yield item
    elif isinstance(source, AsyncIterable):
        async for item in source:
            yield item
    elif isinstance(source, Iterable):
        for item in source:
            yield item
    else:
        raise InvalidRequestError(_NOT_RECIPIENTS.format(type(source).__name__))


async def _iter_file(path: str) -> AsyncIterator[str]:
    """Rows of a CSV (column phone, number or recipient, else the first) or a text file
    with one number per line, read in a worker thread a few thousand rows at a time."""
    handle = await anyio.to_thread.run_sync(lambda: open(path, newline="", encoding="utf-8-sig"))  # noqa: SIM115
    try:
        reader = csv.reader(handle)
        column = await anyio.to_thread.run_sync(_pick_column, reader, path)
        pending = column.first_row
        while True:
            for row in pending:
                if column.index < len(row) and row[column.index].strip():
                    yield row[column.index]
            pending = await anyio.to_thread.run_sync(_read_rows, reader, path)
            if not pending:
                return
    finally:
        handle.close()


@attrs.frozen
class _Column:
    index: int
    first_row: list[list[str]]


def _pick_column(reader: Reader, path: str) -> _Column:
    """The recipients' column, from a header naming it; a header without one means the
    first column; no header means the first row is data."""
    with _unreadable_rows(reader, path):
        header = next(reader, [])
    names = [cell.strip().lower() for cell in header]
    for wanted in CSV_COLUMNS:
        if wanted in names:
            return _Column(names.index(wanted), [])
    looks_like_data = bool(header) and any(ch.isdigit() for ch in header[0])
    return _Column(0, [header] if looks_like_data else [])


def _read_rows(reader: Reader, path: str) -> list[list[str]]:
    rows = []
    with _unreadable_rows(reader, path):
        for row in reader:
            rows.append(row)
            if len(rows) >= _READ_ROWS:
                break
    return rows


@contextmanager
def _unreadable_rows(reader: Reader, path: str) -> Iterator[None]:
    """Turn a byte that is not UTF-8 or a malformed CSV line into InvalidRequestError
    naming the line, so callers see bad input rather than a decoder's or csv's error (the
    line itself is not echoed: it may be binary or huge)."""
    try:
        yield
    except UnicodeDecodeError:
        line = _undecodable_line(path)
        raise InvalidRequestError(
            f"recipients file {path}: line {line} is not UTF-8 text"
        ) from None
    except csv.Error as exc:
        raise InvalidRequestError(
            f"recipients file {path}: line {reader.line_num} is not valid CSV ({exc})"
        ) from None


def _undecodable_line(path: str) -> int:
    """The number of the first line of `path` that is not UTF-8: the text reader decodes
    blocks of many lines at once, so its error does not say which line it was."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line = 1
    with open(path, "rb") as handle:
        for piece in iter(functools.partial(handle.readline, _SCAN_BYTES), b""):
            try:
                decoder.decode(piece)
            except UnicodeDecodeError:
                return line
            line += piece.endswith(b"\n")
    return line
