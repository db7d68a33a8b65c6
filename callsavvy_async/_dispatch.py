"""How a request body reaches the API: straight to our own pooled transport, or through a
user's httpx.AsyncClient so that its hooks, auth, mounts and proxies apply.

Going straight to the transport skips httpx.AsyncClient's per-request URL, header and
cookie merging, auth flow and redirect handling, none of which the API uses; it cuts the
client-side cost of a call by about four fifths.
"""

from __future__ import annotations

import urllib.request
from typing import Protocol

import httpx

__all__ = ["ClientDispatch", "Dispatch", "TransportDispatch", "environment_proxy"]


class Dispatch(Protocol):
    async def send(self, url: httpx.URL, body: bytes, timeouts: httpx.Timeout) -> httpx.Response:
        """POST `body` to `url` and return the answer with its body read."""
        ...

    async def aclose(self) -> None: ...


class TransportDispatch:
    """Requests built once per call and handed to a transport we own."""

    def __init__(self, transport: httpx.AsyncBaseTransport, headers: dict[str, str]) -> None:
        self.transport = transport
        self._headers = httpx.Headers(headers)

    async def send(self, url: httpx.URL, body: bytes, timeouts: httpx.Timeout) -> httpx.Response:
        request = httpx.Request(
            "POST",
            url,
            headers=self._headers,
            content=body,
            extensions={"timeout": timeouts.as_dict()},
        )
        response = await self.transport.handle_async_request(request)
        try:
            await response.aread()
        finally:
            await response.aclose()
        return response

    async def aclose(self) -> None:
        await self.transport.aclose()


class ClientDispatch:
    """Requests sent through an httpx.AsyncClient, closed by us only if we built it."""

    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str], *, owned: bool) -> None:
        self.client = client
        self._headers = headers
        self._owned = owned

    async def send(self, url: httpx.URL, body: bytes, timeouts: httpx.Timeout) -> httpx.Response:
        request = self.client.build_request(
            "POST", url, content=body, headers=self._headers, timeout=timeouts
        )
        return await self.client.send(request)

    async def aclose(self) -> None:
        if self._owned:
            await self.client.aclose()


def environment_proxy(url: str) -> bool:
    """Whether HTTP(S)_PROXY-style variables route `url` through a proxy."""
    proxies = urllib.request.getproxies()
    scheme = httpx.URL(url).scheme
    if not (proxies.get(scheme) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass(httpx.URL(url).host)
