"""Sans-I/O webhook parsing: (content type, body bytes) to a typed event or a rejection.

No ASGI and no framework here, so any server, framework or test can reuse it.
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any
from urllib.parse import parse_qsl

import attrs
import cattrs

from callsavvy_async._convert import converter
from callsavvy_async.webhooks.events import EVENT_TYPES, Event, UnknownEvent

__all__ = ["Rejection", "parse_event"]

_FIELD = re.compile(r"@ \$\.(\w+)")
_DECODERS = {name: converter.get_structure_hook(cls) for name, cls in EVENT_TYPES.items()}


@attrs.frozen
class Rejection:
    """Why a request is refused: the HTTP status and a short message without its values."""

    status: int
    message: str


def parse_event(content_type: str | None, body: bytes) -> Event | UnknownEvent | Rejection:
    """Decode a webhook request body into its event, or say why it cannot be."""
    if body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8) :]
    kind = _body_kind(content_type, body)
    if kind is None:
        return Rejection(415, "content type must be application/json or form-encoded")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Rejection(400, "body is not UTF-8")
    payload = _parse_json(text) if kind == "json" else _parse_form(text)
    if isinstance(payload, Rejection):
        return payload
    return _event_from(payload)


def _body_kind(content_type: str | None, body: bytes) -> str | None:
    if content_type == "application/json":
        return "json"
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        return "json"
    if media == "application/x-www-form-urlencoded":
        return "form"
    if not media:
        return "json" if body.lstrip()[:1] == b"{" else "form"
    return None


def _parse_json(text: str) -> dict[str, Any] | Rejection:
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):
        return Rejection(400, "body is not valid JSON")
    if not isinstance(payload, dict):
        return Rejection(400, "body must be a JSON object")
    return payload


def _parse_form(text: str) -> dict[str, Any] | Rejection:
    try:
        return dict(parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text)))
    except ValueError:
        return Rejection(400, "body is not valid form data")


def _event_from(payload: dict[str, Any]) -> Event | UnknownEvent | Rejection:
    name = payload.get("event")
    if not isinstance(name, str) or not name:
        return Rejection(422, "missing or invalid field: event")
    event_type = EVENT_TYPES.get(name)
    if event_type is None:
        return UnknownEvent(event=name, payload=payload)
    for field in event_type.REQUIRED:
        value = payload.get(field)
        if value is None or value == "":
            return Rejection(422, f"missing field: {field}")
    try:
        event: Event = _DECODERS[name](payload, event_type)
    except cattrs.BaseValidationError as exc:
        return Rejection(422, f"invalid field: {_first_field(exc)}")
    except (TypeError, ValueError):
        return Rejection(422, "invalid field")
    return event


def _first_field(error: cattrs.BaseValidationError) -> str:
    for message in cattrs.transform_error(error):
        match = _FIELD.search(message)
        if match:
            return match.group(1)
    return "unknown"
