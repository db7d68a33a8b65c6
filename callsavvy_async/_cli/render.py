"""Models as Rich tables or as JSON for machines.

Tables never cut an id, a date or a phone number: those columns get the room their
longest value needs, other text wraps between words (a word too long for its column ends
in an ellipsis), and columns that do not fit the terminal are left out and named under
the table, as are columns empty in every row (`--json` shows every field)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import attrs
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from callsavvy_async._convert import EXTRA_FIELD

__all__ = ["as_json", "listing", "pairs", "plain", "table"]

_WHOLE_VALUE = re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?|\+?\d[\d ]{6,}")
_BORDERS = 3
"""Characters a column adds besides its content: padding on both sides and a border."""
_MIN_TEXT_WIDTH = 10


def plain(value: Any) -> Any:
    """A JSON-ready copy of a model, list of models or value."""
    if attrs.has(type(value)):
        return {
            field.name: plain(getattr(value, field.name))
            for field in attrs.fields(type(value))
            if field.name != EXTRA_FIELD
        }
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, Decimal):
        return str(value)
    return value


def as_json(value: Any) -> str:
    return json.dumps(plain(value), indent=2, ensure_ascii=False)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _cell(value: Any) -> Text:
    """A value as plain text: server data must never be read as Rich markup (a `[/]` would
    crash the table, a `[link=...]` would become a terminal hyperlink)."""
    return Text(_text(value))


def _whole(name: str, values: list[str]) -> bool:
    """Whether a column's cells must never be cut: ids, dates and phone numbers."""
    if name == "id" or name.endswith("_id"):
        return True
    filled = [value for value in values if value]
    return bool(filled) and all(_WHOLE_VALUE.fullmatch(value) for value in filled)


def _heading(name: str) -> str:
    return name.replace("_", " ")


def listing(name: str, rows: Sequence[Any], width: int | None = None) -> RenderableType:
    """A table of `rows` titled `name`, or "No <name>." when there are none."""
    if not rows:
        return Text(f"No {name}.")
    return table(name[:1].upper() + name[1:], rows, width=width)


def table(
    title: str,
    rows: Sequence[Any],
    columns: Sequence[str] | None = None,
    *,
    width: int | None = None,
) -> RenderableType:
    """One row per model, one column per field (or per named field; `extra` left out),
    keeping the columns that fit in `width` characters."""
    records = [plain(row) for row in rows]
    names = list(columns or (records[0] if records else []))
    texts = {name: [_text(record.get(name)) for record in records] for name in names}
    output = Table(title=title, title_justify="left")
    room = (width or 10_000) - 1
    hidden: list[str] = []
    shown: list[str] = []
    for name in names:
        if records and not any(texts[name]):
            continue
        whole = _whole(name, texts[name])
        longest = max((len(value) for value in texts[name]), default=0)
        heading = _heading(name)
        word = max(len(part) for part in heading.split())
        need = max(len(heading), longest) if whole else max(word, min(longest, _MIN_TEXT_WIDTH))
        if need + _BORDERS > room and shown:
            hidden.append(name)
            continue
        room -= need + _BORDERS
        shown.append(name)
        if whole:
            output.add_column(Text(_heading(name)), no_wrap=True, min_width=need)
        else:
            output.add_column(Text(_heading(name)), overflow="ellipsis", min_width=need)
    for record in records:
        output.add_row(*(_cell(record.get(name)) for name in shown))
    if not hidden:
        return output
    note = Text(
        f"Not shown (too wide for the terminal): {', '.join(hidden)}; --json shows every field."
    )
    return Group(output, note)


def pairs(title: str, model: Any) -> Table:
    """A single model as a two-column field/value table."""
    output = Table(title=title, title_justify="left", show_header=False)
    output.add_column("field", style="bold", no_wrap=True)
    output.add_column("value")
    for name, value in plain(model).items():
        output.add_row(Text(name), _cell(value))
    return output
