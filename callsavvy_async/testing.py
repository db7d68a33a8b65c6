"""Helpers for your own tests: sample webhook payloads and in-process delivery.

response = await post_event(app, "callSummary", call_duration="42")
assert response.status_code == 200
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from callsavvy_async._asgi import ASGIApp
from callsavvy_async._samples import EVENT_NAMES, encode_event, sample_payload
from callsavvy_async.sandbox import Sandbox

__all__ = ["EVENT_NAMES", "Sandbox", "encode_event", "post_event", "sample_body", "sample_payload"]


def sample_body(event: str, **overrides: object) -> tuple[str, bytes]:
    """Content type and body of a sample `event`, as Callsavvy would send them."""
    return encode_event(sample_payload(event, **overrides))


async def post_event(
    app: ASGIApp,
    event: str,
    *,
    path: str = "/",
    headers: Mapping[str, str] | None = None,
    **overrides: object,
) -> httpx.Response:
    """POST a sample `event` (with `overrides`) to an ASGI app in-process; return the answer."""
    content_type, body = sample_body(event, **overrides)
    sent = httpx.Headers({"content-type": content_type})
    sent.update(headers or {})
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.post(path, content=body, headers=sent)
