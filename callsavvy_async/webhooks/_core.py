"""Sans-I/O webhook core: a body to a typed event or a `Rejection`, and the token,
address and forwarded-for rules checked from plain values.

No ASGI, no I/O and no framework here, so any server, framework or test can reuse it.
"""

from __future__ import annotations

import codecs
import hmac
import ipaddress
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import parse_qsl, unquote_to_bytes

import attrs
import cattrs

from callsavvy_async._convert import converter
from callsavvy_async.webhooks.events import EVENT_TYPES, Event, UnknownEvent

__all__ = [
    "Guard",
    "Rejection",
    "client_address",
    "declares_more_than",
    "parse_event",
    "token_matches",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_FIELD = re.compile(r"@ \$\.(\w+)")
_DECODERS = {name: converter.get_structure_hook(cls) for name, cls in EVENT_TYPES.items()}


@attrs.frozen
class Rejection:
    """Why a request is refused: the HTTP status and a short message without its values."""

    status: int
    message: str


UNAUTHORIZED = Rejection(401, "unauthorized")
FORBIDDEN = Rejection(403, "forbidden")


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
    except RecursionError:
        return Rejection(400, "body is nested too deeply")
    except ValueError:
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


@attrs.frozen
class Guard:
    """Who may deliver: any of `tokens`, from an address in `allowed` (None: any), where
    only `proxies` may say through X-Forwarded-For whom they forward for."""

    tokens: tuple[bytes, ...] = ()
    allowed: tuple[IPNetwork, ...] | None = None
    proxies: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_settings(
        cls,
        token: str | Iterable[str] | None,
        allowed_ips: Iterable[str] | None,
        trusted_proxies: Iterable[str] | None,
    ) -> Guard:
        """The guard of WebhookApp's `token`, `allowed_ips` and `trusted_proxies`."""
        tokens = [token] if isinstance(token, str) else list(token or ())
        if any(not isinstance(t, str) or not t for t in tokens):
            raise ValueError("tokens must be non-empty strings")
        allowed = tuple(_networks(allowed_ips)) if allowed_ips is not None else None
        return cls(tuple(t.encode() for t in tokens), allowed, tuple(_networks(trusted_proxies)))

    @property
    def open(self) -> bool:
        """Whether every request passes (no token and no address rule)."""
        return not self.tokens and self.allowed is None

    def refusal(
        self,
        header_token: bytes | None,
        query: bytes,
        peer: str | None,
        forwarded_for: Sequence[bytes],
    ) -> Rejection | None:
        """Why a request is refused (401, then 403), or None: from the X-Callsavvy-Token
        header, the query string, the peer's address and the X-Forwarded-For lines."""
        if self.tokens and not token_matches(self.tokens, header_token, query):
            return UNAUTHORIZED
        if self.allowed is not None:
            address = client_address(peer, forwarded_for, self.proxies)
            if address is None or not any(address in net for net in self.allowed):
                return FORBIDDEN
        return None


def token_matches(tokens: Sequence[bytes], header_token: bytes | None, query: bytes) -> bool:
    """Whether the header's token or a `token=` in the query is one of `tokens`, each
    compared in constant time."""
    offered = [header_token] if header_token else []
    if b"token=" in query:
        offered += _query_values(query, b"token")
    matched = False
    for candidate in offered:
        for token in tokens:
            matched |= hmac.compare_digest(candidate, token)
    return matched


def client_address(
    peer: str | None, forwarded_for: Sequence[bytes], proxies: Sequence[IPNetwork]
) -> IPAddress | None:
    """The caller's address: the peer's, or, when the peer is a trusted proxy, the last
    X-Forwarded-For hop (the lines read as one list) not itself a trusted proxy."""
    address = _ip(peer) if peer else None
    if address is None or not _within(address, proxies):
        return address
    hops = b",".join(forwarded_for).decode("latin-1").split(",")
    for hop in reversed([hop.strip() for hop in hops if hop.strip()]):
        address = _ip(hop)
        if address is None or not _within(address, proxies):
            return address
    return address


def declares_more_than(content_length: bytes, limit: float) -> bool:
    """Whether a Content-Length declares more than `limit` bytes. One of 19 digits or
    more counts as 10**18, so int() stays cheap; one that is not a number is left to
    the body's own count."""
    if not content_length.isdigit():
        return False
    return (10**18 if len(content_length) > 18 else int(content_length)) > limit


def _within(address: IPAddress, networks: Sequence[IPNetwork]) -> bool:
    return any(address in network for network in networks)


def _networks(addresses: Iterable[str] | None) -> list[IPNetwork]:
    return [ipaddress.ip_network(address, strict=False) for address in addresses or ()]


def _query_values(query: bytes, name: bytes) -> list[bytes]:
    """The values of `name` in a query string, byte for byte (raw or percent-encoded)."""
    values = []
    for field in query.split(b"&"):
        key, _, value = field.partition(b"=")
        if unquote_to_bytes(key.replace(b"+", b" ")) == name:
            values.append(unquote_to_bytes(value.replace(b"+", b" ")))
    return values


def _ip(text: str) -> IPAddress | None:
    """An address, IPv4-mapped IPv6 ones (from dual-stack listeners) as IPv4; None if bad."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
