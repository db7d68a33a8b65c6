"""Models as Rich tables or as JSON for machines."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import attrs
from rich.table import Table
from rich.text import Text

from callsavvy_async._convert import EXTRA_FIELD

__all__ = ["as_json", "plain", "table"]


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


def _cell(value: Any) -> Text:
    """A value as plain text: server data must never be read as Rich markup (a `[/]` would
    crash the table, a `[link=...]` would become a terminal hyperlink)."""
    if value is None:
        return Text("")
    if isinstance(value, list):
        return Text(", ".join(str(item) for item in value))
    return Text(str(value))


def table(title: str, rows: Sequence[Any], columns: Sequence[str] | None = None) -> Table:
    """One row per model, one column per field (or per named field; `extra` left out)."""
    output = Table(title=title, title_justify="left")
    records = [plain(row) for row in rows]
    columns = list(columns or (records[0] if records else []))
    for column in columns:
        output.add_column(Text(column), overflow="fold")
    for record in records:
        output.add_row(*(_cell(record[column]) for column in columns))
    if not records:
        output.add_column("(none)")
    return output


def pairs(title: str, model: Any) -> Table:
    """A single model as a two-column field/value table."""
    output = Table(title=title, title_justify="left", show_header=False)
    output.add_column("field", style="bold")
    output.add_column("value")
    for name, value in plain(model).items():
        output.add_row(Text(name), _cell(value))
    return output
