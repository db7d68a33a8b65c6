"""Posting webhook events to a URL or straight into an ASGI app, as Callsavvy does."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping

import httpx

from callsavvy_async._asgi import ASGIApp
from callsavvy_async.sandbox._payloads import encoded_event
from callsavvy_async.sandbox._state import Event

__all__ = ["Target", "fire_events", "post_event", "redirect_advice"]

Target = str | ASGIApp | tuple[ASGIApp, str]
"""A URL; an ASGI app (posted at "/"); or an app and the path (with query) to post at."""

APP_ORIGIN = "http://webhooks.sandbox.invalid"
USER_AGENT = "Callsavvy-Webhooks/1.0 (callsavvy-async sandbox)"
TIMEOUT = 10.0

logger = logging.getLogger("callsavvy_async.sandbox")


@contextlib.asynccontextmanager
async def _client(target: Target) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """An httpx client reaching `target`, and the URL to post to."""
    if isinstance(target, str):
        url, transport = target, None
    elif isinstance(target, tuple):
        app, path = target
        url, transport = APP_ORIGIN + "/" + path.lstrip("/"), httpx.ASGITransport(app=app)
    else:
        url, transport = APP_ORIGIN + "/", httpx.ASGITransport(app=target)
    async with httpx.AsyncClient(transport=transport, timeout=TIMEOUT) as client:
        yield client, url


async def _post(
    client: httpx.AsyncClient, url: str, event_name: str, fields: Mapping[str, object]
) -> httpx.Response:
    content_type, body = encoded_event(event_name, fields)
    headers = {"content-type": content_type, "user-agent": USER_AGENT}
    return await client.post(url, content=body, headers=headers)


async def post_event(
    target: Target, event_name: str, fields: Mapping[str, object]
) -> httpx.Response:
    """POST the payload of `event_name` with `fields` to `target`; return the answer."""
    async with _client(target) as (client, url):
        return await _post(client, url, event_name, fields)


def redirect_advice(response: httpx.Response) -> str:
    """What a redirect answer means for a webhook, and where to point it instead. The
    query (which may hold the token) is left out of the text."""
    location = response.headers.get("location", "")
    try:
        target = response.url.join(location)
    except httpx.InvalidURL:
        return f"the webhook answered HTTP {response.status_code}, a redirect to an invalid URL"
    query = " (with the same query)" if target.query else ""
    return (
        f"the webhook answered HTTP {response.status_code}, a redirect to "
        f"{target.copy_with(query=None)}: webhooks are posted once and redirects are not "
        f"followed, so the event was not delivered; point the webhook URL at "
        f"{target.copy_with(query=None)}{query} instead"
    )


async def fire_events(target: Target, events: list[Event]) -> None:
    """Deliver the events a state change caused, over one client. A failure is logged
    (Callsavvy does not retry either) and never breaks the API's answer."""
    async with _client(target) as (client, url):
        for event_name, fields in events:
            try:
                response = await _post(client, url, event_name, fields)
            except Exception as exc:
                logger.warning("webhook %s not delivered: %r", event_name, exc)
                continue
            if response.is_redirect:
                logger.warning(
                    "webhook %s not delivered: %s", event_name, redirect_advice(response)
                )
            elif response.status_code >= 400:
                logger.warning("webhook %s answered HTTP %d", event_name, response.status_code)
