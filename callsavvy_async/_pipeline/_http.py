"""The httpx.AsyncClient the SDK makes for itself when the user brings none."""

from __future__ import annotations

import urllib.request

import httpx

from callsavvy_async._transport import PoolTransport

__all__ = ["build_http_client"]


def build_http_client(
    transport: httpx.AsyncBaseTransport | None,
    timeout: httpx.Timeout,
    max_connections: int,
    base_url: str,
) -> httpx.AsyncClient:
    """Our own client: on PoolTransport (or the transport given), or on httpx's default
    one when an environment proxy must be honoured, which PoolTransport does not do."""
    limits = httpx.Limits(
        max_connections=max_connections,
        max_keepalive_connections=max_connections,
        keepalive_expiry=30.0,
    )
    if transport is None and _environment_proxy(base_url):
        return httpx.AsyncClient(timeout=timeout, limits=limits)
    return httpx.AsyncClient(transport=transport or PoolTransport(limits=limits), timeout=timeout)


def _environment_proxy(url: str) -> bool:
    """Whether HTTP(S)_PROXY-style variables route `url` through a proxy."""
    proxies = urllib.request.getproxies()
    parsed = httpx.URL(url)
    if not (proxies.get(parsed.scheme) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass(parsed.host)
