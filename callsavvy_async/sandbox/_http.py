"""The small part of ASGI the sandbox needs: reading a body, answering with the vendor's
envelope or a proxy's HTML page, and the lifespan handshake."""

from __future__ import annotations

import json
from typing import Any

from callsavvy_async._asgi import Receive, Send

__all__ = [
    "TooLarge",
    "answer_envelope",
    "answer_page",
    "read_body",
    "run_lifespan",
]

_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


class TooLarge(Exception):
    """The request body is larger than the sandbox accepts."""


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body; TooLarge past `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def answer_envelope(
    send: Send,
    resource: str,
    status: int,
    *,
    data: Any = None,
    error: str | None = None,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """The vendor's success envelope (`data`) or error envelope (`error`)."""
    if error is None:
        payload = {"resource": resource, "status": "success", "data": data}
    else:
        payload = {"resource": resource, "status": "error", "message": error}
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    await _answer(send, status, body, b"application/json", headers)


async def answer_page(send: Send, status: int) -> None:
    """An HTML error page, as a load balancer in front of the API sends for a 5xx."""
    reason = _REASONS.get(status, "Error")
    page = (
        f"<html><head><title>{status} {reason}</title></head><body><h1>{reason}</h1></body></html>"
    )
    await _answer(send, status, page.encode(), b"text/html; charset=utf-8", None)


async def _answer(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes,
    headers: list[tuple[bytes, bytes]] | None,
) -> None:
    base = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": base + (headers or [])})
    await send({"type": "http.response.body", "body": body})


async def run_lifespan(receive: Receive, send: Send) -> None:
    """Acknowledge startup and shutdown: the sandbox needs no setup."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
