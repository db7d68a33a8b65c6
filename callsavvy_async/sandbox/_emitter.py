"""Firing webhook events at a URL or straight into an ASGI app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

import httpx

from callsavvy_async._samples import encode_event, sample_payload

__all__ = ["Target", "post_event"]

ASGIApp = Callable[
    [
        MutableMapping[str, Any],
        Callable[[], Awaitable[MutableMapping[str, Any]]],
        Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ],
    Awaitable[None],
]
Target = str | ASGIApp
IN_PROCESS_URL = "http://webhooks.sandbox.invalid/"


async def post_event(
    target: Target,
    event: str,
    overrides: Mapping[str, object] | None = None,
    *,
    path: str = "/",
    seconds: float = 10.0,
) -> httpx.Response:
    """POST a sample `event` (with `overrides`) to a URL, or to `path` of an ASGI app;
    return the answer."""
    content_type, body = encode_event(sample_payload(event, **(overrides or {})))
    headers = {"content-type": content_type, "user-agent": "callsavvy-sandbox-webhooks"}
    if isinstance(target, str):
        async with httpx.AsyncClient(timeout=seconds) as client:
            return await client.post(target, content=body, headers=headers)
    transport = httpx.ASGITransport(app=target)
    async with httpx.AsyncClient(transport=transport, timeout=seconds) as client:
        url = IN_PROCESS_URL.rstrip("/") + path
        return await client.post(url, content=body, headers=headers)
